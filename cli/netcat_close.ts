/**
 * Ending a TCP connection of `lkl netcat` when it is interrupted, so that
 * the peer sees the end before the kernel halts (a halted kernel sends
 * nothing more: without this the peer's connection would stay open).
 *
 * @module
 */

import { SOL } from "../ffi/constants.ts";
import { SYS } from "../ffi/syscalls.ts";
import type { Kernel, TcpConn } from "../mod.ts";

/** TCP_INFO (include/uapi/linux/tcp.h): struct tcp_info, whose first byte is the state. */
const TCP_INFO = 11;
/** SO_LINGER (include/uapi/asm-generic/socket.h): struct linger { int l_onoff, l_linger; }. */
const SO_LINGER = 13;

/** TCP states (include/net/tcp_states.h) in which our FIN was acknowledged, or none is due. */
const FIN_ACKED = new Set([
  5, // FIN_WAIT2
  6, // TIME_WAIT
  7, // CLOSE
]);

/** How long the peer has to acknowledge our FIN before an RST goes instead. */
const FIN_WAIT_MS = 200;
/** A pause for an RST to leave through the TAP before the kernel halts. */
const RST_WAIT_MS = 50;

/** The connection's TCP state (TCP_INFO's tcpi_state), or undefined when unknown. */
function tcpState(kernel: Kernel, conn: TcpConn): number | undefined {
  if (conn.closed) return undefined;
  const info = new Uint8Array(8);
  const len = new Uint32Array([info.byteLength]);
  const rc = kernel.syscallResult(SYS.getsockopt, conn.unsafeFd, SOL.TCP, TCP_INFO, info, len);
  return rc < 0 ? undefined : info[0];
}

/**
 * Closes `conn` so that the peer sees the end: a FIN, and when the peer
 * has not acknowledged it within {@link FIN_WAIT_MS} (data still queued
 * before it, or a peer that does not answer), an RST (SO_LINGER 0), given
 * {@link RST_WAIT_MS} to leave. Bounded: at most about 250 ms.
 */
export async function closeForInterrupt(kernel: Kernel, conn: TcpConn): Promise<void> {
  if (conn.closed || kernel.halted) return;
  try {
    await conn.closeWrite();
  } catch {
    // Not connected any more: closing is all there is to do.
  }
  const deadline = performance.now() + FIN_WAIT_MS;
  for (;;) {
    const state = tcpState(kernel, conn);
    if (state === undefined || FIN_ACKED.has(state)) {
      conn.close();
      return;
    }
    if (performance.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const linger = new Int32Array([1, 0]);
  kernel.syscallResult(SYS.setsockopt, conn.unsafeFd, SOL.SOCKET, SO_LINGER, linger, 8);
  conn.close();
  await new Promise((r) => setTimeout(r, RST_WAIT_MS));
}
