// app/account/page.tsx: the server mints a token for the signed-in customer, the browser shows
// the portal. FRONTDESK_SECRET_KEY stays on the server; only the short-lived token reaches the page.
import Script from "next/script";
import { currentCustomerId } from "@/lib/auth"; // your own session lookup
import FrontdeskPortal from "./FrontdeskPortal"; // the element, and what to do on its events

const HOST = process.env.FRONTDESK_HOST!;

async function portalToken(customerId: string): Promise<string> {
  const response = await fetch(
    `${HOST}/api/v1/customers/${encodeURIComponent(`external:${customerId}`)}/portal-sessions`,
    {
      method: "POST",
      headers: { Authorization: `Bearer ${process.env.FRONTDESK_SECRET_KEY}` },
      cache: "no-store",
    },
  );
  if (response.status !== 201) return "";
  return (await response.json()).token;
}

export default async function AccountPage() {
  const customerId = await currentCustomerId();
  const token = customerId ? await portalToken(customerId) : "";
  return (
    <>
      <Script src={`${HOST}/widget/frontdesk.js`} strategy="afterInteractive" />
      <FrontdeskPortal business={process.env.NEXT_PUBLIC_FRONTDESK_PUBLISHABLE_KEY!} token={token} />
    </>
  );
}
