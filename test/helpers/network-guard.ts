/**
 * Outbound network is blocked in tests (STYLE.md point 17): any socket to an address outside
 * loopback fails at once, so a test that would reach the internet fails loudly instead.
 */
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

export class BlockedNetworkError extends Error {
  constructor(host: string) {
    super(`Tests may not reach ${host}: only loopback is allowed`);
    this.name = 'BlockedNetworkError';
  }
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

type ConnectArgs = Parameters<net.Socket['connect']>;

let installed = false;

export function installNetworkGuard(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply below
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
    const [first, second] = args as unknown[];
    let host: string | undefined;
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      const options = first as { host?: string; path?: string };
      if (options.path === undefined) host = options.host ?? 'localhost';
    } else if (typeof first === 'number') {
      host = typeof second === 'string' ? second : 'localhost';
    }
    if (host !== undefined && !isLoopbackHost(host)) {
      throw new BlockedNetworkError(host);
    }
    return original.apply(this, args);
  } as typeof original;
}
