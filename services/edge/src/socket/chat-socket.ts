import type { Namespace, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, ServerEmit, ServerToClientEvents } from '@chat/contracts';
import type { Identity } from '@chat/auth';

/** What the handshake leaves on a socket it lets in. */
export interface ChatSocketData {
  identity: Identity;
}

/** Socket.IO typed with the contracts' event maps: what is emitted and handled is checked against them. */
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>;
export type ChatNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>;

/** Emits one event of the union (its payload was typed with its event when it was built). */
export function emitTo(socket: ChatSocket, e: ServerEmit): void {
  (socket.emit as (event: string, payload: unknown) => boolean)(e.event, e.payload);
}
