// Mint a portal token for a customer who is signed in on your site (Node 18+, no dependencies).
//   <frontdesk-portal business="pk_..." token="${await portalToken(user.id)}"></frontdesk-portal>
const HOST = process.env.FRONTDESK_HOST; // https://portal.example.com
const SECRET_KEY = process.env.FRONTDESK_SECRET_KEY; // sk_..., never sent to browsers

export async function portalToken(yourCustomerId) {
  const customer = encodeURIComponent(`external:${yourCustomerId}`);
  const response = await fetch(`${HOST}/api/v1/customers/${customer}/portal-sessions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${SECRET_KEY}` },
  });
  if (response.status !== 201) throw new Error(`Frontdesk answered ${response.status}`);
  return (await response.json()).token;
}
