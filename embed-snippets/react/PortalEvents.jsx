// Listening to the portal's events from React. The detail of each is
// {v, id, type, created, business, customer, object} (../events.schema.json): ids, amounts and
// states, never the customer's name, email, address or card.
import { useEffect, useRef } from "react";
import FrontdeskPortal from "./FrontdeskPortal";

// React 19 binds an event on a custom element from a prop named "on" + the exact event name.
// Write it lower-case with its dashes: onFrontdeskPaymentSucceeded would listen for an event
// called "FrontdeskPaymentSucceeded", which never comes.
export function AccountPage({ token }) {
  return (
    <FrontdeskPortal
      business="pk_..."
      token={token}
      onfrontdesk-payment-succeeded={(event) => {
        const paid = event.detail.object; // {kind: "payment", id, amount (cents), currency, status}
        console.log(`paid ${paid.amount / 100} ${paid.currency}`);
      }}
      onfrontdesk-estimate-accepted={(event) => console.log("accepted", event.detail.object.number)}
    />
  );
}

// React 18 and earlier set such props as attributes instead. The events bubble, so a listener
// on an element around the portal hears them.
export function AccountPageReact18({ token }) {
  const around = useRef(null);
  useEffect(() => {
    const element = around.current;
    const paid = (event) => console.log("paid", event.detail.object.amount);
    element.addEventListener("frontdesk-payment-succeeded", paid);
    return () => element.removeEventListener("frontdesk-payment-succeeded", paid);
  }, []);
  return (
    <div ref={around}>
      <FrontdeskPortal business="pk_..." token={token} />
    </div>
  );
}
