"use client";
// app/account/FrontdeskPortal.tsx: the portal element in a client component, so the page can
// act on its events (a server component cannot hand a function to the browser). React 19
// (Next.js 15 and later) listens for an event on a custom element given a prop named "on" + the
// event's exact name, lower-case with its dashes: onfrontdesk-payment-succeeded.
import type { HTMLAttributes } from "react";
import { useRouter } from "next/navigation";

/** event.detail of every frontdesk-* event (events.schema.json): ids, amounts and states only. */
export type FrontdeskEventDetail = {
  v: 1;
  id: string;
  type: string;
  created: string;
  business: string;
  customer: string | null;
  object: {
    kind: string;
    id: string;
    number?: string;
    amount?: number; // minor units (cents)
    currency?: string;
    status?: string;
  };
};
type FrontdeskEvent = CustomEvent<FrontdeskEventDetail>;

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "frontdesk-portal": HTMLAttributes<HTMLElement> & {
        business: string;
        token?: string;
        "token-url"?: string;
      } & { [event: `onfrontdesk-${string}`]: ((event: FrontdeskEvent) => void) | undefined };
    }
  }
}

export default function FrontdeskPortal({ business, token }: { business: string; token: string }) {
  const router = useRouter();
  return (
    <frontdesk-portal
      business={business}
      token={token}
      onfrontdesk-payment-succeeded={(event) => {
        const paid = event.detail.object;
        console.log(`paid ${(paid.amount ?? 0) / 100} ${paid.currency}`);
        router.refresh(); // e.g. your own page shows the new balance
      }}
      onfrontdesk-signed-out={() => router.push("/")}
    />
  );
}
