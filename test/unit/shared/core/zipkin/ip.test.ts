import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4MappedToIpv4, ipv6FromBytes, isIpv4, isIpv6 } from '../../../../../shared/core/zipkin/ip.ts';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

describe('ip', () => {
  it('recognises IPv4 text', () => {
    for (const ip of ['0.0.0.0', '10.244.1.3', '255.255.255.255', '192.168.99.101']) assert.equal(isIpv4(ip), true, ip);
    for (const ip of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', ' 1.2.3.4', 'a.b.c.d', '']) assert.equal(isIpv4(ip), false, ip);
  });

  it('recognises IPv6 text', () => {
    for (const ip of ['::', '::1', '2001:db8::c001', 'fe80::1%eth0', '2001:DB8:0:0:0:0:0:1', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6::']) {
      assert.equal(isIpv6(ip), true, ip);
    }
    for (const ip of ['', ':', '1:2:3:4:5:6:7:8:9', '1::2::3', '2001:db8:::1', '12345::1', 'g::1', '1:2:3:4:5:6:7:8::', 'fe80::1%', '10.0.0.1']) {
      assert.equal(isIpv6(ip), false, ip);
    }
  });

  it('extracts the IPv4 of an IPv4-mapped IPv6 address', () => {
    assert.equal(ipv4MappedToIpv4('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(ipv4MappedToIpv4('::ffff:999.0.0.1'), undefined);
    assert.equal(ipv4MappedToIpv4('2001:db8::1'), undefined);
  });

  it('renders 16 bytes in RFC 5952 form', () => {
    const cases: readonly [string, string][] = [
      ['00000000000000000000000000000000', '::'],
      ['00000000000000000000000000000001', '::1'],
      ['20010db800000000000000000000c001', '2001:db8::c001'],
      ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
      ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
      ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['fe800000000000000000000000000000', 'fe80::'],
    ];
    for (const [bytes, text] of cases) assert.equal(ipv6FromBytes(hex(bytes)), text, bytes);
  });
});
