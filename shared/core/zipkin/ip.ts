/**
 * IP address text and bytes, as Zipkin endpoints carry them. Pure functions, no `node:net`.
 */

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const IPV4_MAPPED = /^::ffff:((?:\d{1,3}\.){3}\d{1,3})$/;

/** Dotted-quad IPv4 text, each part 0-255 without leading zeros (Zipkin's `Endpoint.ipv4`). */
export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** True for RFC 4291 text forms, including `::`, an embedded dotted quad and a `%zone` suffix. */
export function isIpv6(text: string): boolean {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  if (zone !== -1 && zone === text.length - 1) return false;
  if (address.length < 2 || address.length > 45) return false;
  const gap = address.indexOf('::');
  if (gap !== -1 && address.indexOf('::', gap + 1) !== -1) return false;
  if (gap === -1) return countGroups(address, true) === 8;
  const head = address.slice(0, gap);
  const tail = address.slice(gap + 2);
  const headGroups = head === '' ? 0 : countGroups(head, false);
  const tailGroups = tail === '' ? 0 : countGroups(tail, true);
  return headGroups >= 0 && tailGroups >= 0 && headGroups + tailGroups <= 7;
}

/** Number of 16-bit groups in a `:`-separated run, or -1 when malformed. */
function countGroups(run: string, lastMayBeIpv4: boolean): number {
  const parts = run.split(':');
  let groups = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (HEX_GROUP.test(part)) groups += 1;
    else if (lastMayBeIpv4 && i === parts.length - 1 && IPV4.test(part)) groups += 2;
    else return -1;
  }
  return groups;
}

/** The dotted IPv4 inside an IPv4-mapped IPv6 text (`::ffff:10.0.0.1`), which Zipkin stores as ipv4. */
export function ipv4MappedToIpv4(ipv6Lower: string): string | undefined {
  const match = IPV4_MAPPED.exec(ipv6Lower);
  const ipv4 = match?.[1];
  return ipv4 !== undefined && IPV4.test(ipv4) ? ipv4 : undefined;
}

/** The dotted quad of the first 4 bytes (proto3 `Endpoint.ipv4` is 4 bytes in network order, zipkin.proto). */
export function ipv4FromBytes(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** True when 16 bytes are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
export function isIpv4MappedBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** RFC 5952 text for 16 bytes: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
export function ipv6FromBytes(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLength).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}
