// <FrontdeskPortal business="pk_..." token={tokenFromYourServer} />
// Loads the Frontdesk script once and renders the portal element. React passes unknown props on
// custom elements through as attributes, so `token` updates reach the portal (it re-signs in).
// Other props reach the element as they are: in React 19, `onfrontdesk-payment-succeeded={fn}`
// listens for that event (see PortalEvents.jsx).
import { useEffect } from "react";

const HOST = "https://PORTAL_HOST";

function loadOnce() {
  if (document.querySelector(`script[src="${HOST}/widget/frontdesk.js"]`)) return;
  const script = document.createElement("script");
  script.async = true;
  script.src = `${HOST}/widget/frontdesk.js`;
  document.head.append(script);
}

export default function FrontdeskPortal({ business, token, tokenUrl, ...events }) {
  useEffect(loadOnce, []);
  return <frontdesk-portal business={business} token={token} token-url={tokenUrl} {...events} />;
}
