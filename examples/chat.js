// node examples/chat.js <token> <peerUserId> [edgeUrl] — type a line to send it; incoming messages are printed.
const { io } = require('socket.io-client');
const [token, peer, url = 'http://127.0.0.1:3000'] = process.argv.slice(2);
const since = {}; // per room, the last seq received: after a reconnect the server sends only what is newer
const s = io(`${url}/chat`, { auth: { token, since }, transports: ['websocket'] });
s.on('connect_error', (e) => console.error('refused:', e.message));
s.on('receive_message', ({ message }, ack) => {
  ack?.();
  since[message.roomId] = Math.max(since[message.roomId] ?? 0, message.seq);
  console.log(`< ${message.content}`);
});
// the server is stopping: reconnect when it says (the load balancer picks another), or once it closes us
s.on('server_draining', ({ reconnectAfterMs }) => setTimeout(() => s.disconnect().connect(), reconnectAfterMs));
s.on('disconnect', (reason) => reason === 'io server disconnect' && setTimeout(() => s.connect(), 500));
s.emit('join_or_create_room', { participantId: peer }, (room) => {
  if (!room.ok) return console.error(room.error);
  console.log(`joined ${room.roomId}`);
  // BUSY: the server is behind and took nothing; the same clientMsgId is sent again when it says
  const send = (m) =>
    s.emit(
      'send_message',
      m,
      (r) => r.ok || (r.error.code === 'BUSY' ? setTimeout(send, r.error.retryAfterMs, m) : console.error(r.error)),
    );
  process.stdin.on('data', (line) =>
    send({ receiverId: peer, roomId: room.roomId, content: String(line).trim(), clientMsgId: `${Date.now()}` }),
  );
});
