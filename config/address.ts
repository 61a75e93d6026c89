import { isIP } from 'node:net';

/** `host:port` or `[v6 host]:port`, or undefined for anything else. */
export function hostAndPort(address: string | undefined): { host: string; port: number } | undefined {
  const [, v6, host = v6, port] = /^(?:\[(.+)\]|([^:]*)):(\d+)$/.exec(address ?? '') ?? [];
  return host === undefined ? undefined : { host, port: Number(port) };
}

/** The inverse of hostAndPort: an IPv6 host goes in brackets. */
export const joinHostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** What the Temporal SDK's metrics exporter can bind: an IP address, not a host name, and a port. */
export const isSocketAddress = (address: string): boolean => {
  const parsed = hostAndPort(address);
  return parsed !== undefined && isIP(parsed.host) !== 0 && parsed.port <= 65_535;
};
