// WEBHOOK_SECRET=... PORT=8080 node examples/webhook-receiver.js — verifies each webhook delivery and prints its events.
const { createServer } = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const valid = (ts, body, sig) => {
  const want = Buffer.from(`v1=${createHmac('sha256', process.env.WEBHOOK_SECRET).update(`${ts}.${body}`).digest('hex')}`);
  return Math.abs(Date.now() / 1000 - ts) < 300 && Buffer.from(sig).length === want.length && timingSafeEqual(Buffer.from(sig), want);
};
createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req.setEncoding('utf8')) body += chunk;
  if (!valid(Number(req.headers['x-chat-timestamp']), body, String(req.headers['x-chat-signature']))) return res.writeHead(401).end();
  // a retry repeats X-Chat-Webhook-Id, a fact told twice its event id: skip ids already handled
  for (const e of JSON.parse(body).events) console.log(req.headers['x-chat-webhook-id'], e.id, e.type);
  res.writeHead(204).end();
}).listen(Number(process.env.PORT ?? 8080));
