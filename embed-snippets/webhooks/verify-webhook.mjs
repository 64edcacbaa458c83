// Check a Frontdesk webhook before trusting it (Node 18+, no dependencies).
//
//   app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {
//     if (!verify(req.body, req.get('Frontdesk-Signature'), process.env.FRONTDESK_WEBHOOK_SECRET)) {
//       return res.status(400).send('bad signature');
//     }
//     const event = JSON.parse(req.body); // then skip it if you already handled event.id
//     res.sendStatus(200);
//   });
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOLERANCE_SECONDS = 300;

export function verify(body, header, secret, now = Date.now() / 1000) {
  const parts = Object.fromEntries(
    String(header || '').split(',').map((item) => item.split('=', 2)).filter((p) => p.length === 2),
  );
  if (!/^\d+$/.test(parts.t || '') || !parts.v1) return false;
  // An old delivery replayed, or a clock far off.
  if (Math.abs(now - Number(parts.t)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${parts.t}.`), Buffer.from(body)]))
    .digest('hex');
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
}
