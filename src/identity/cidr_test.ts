import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { cidrContains, cidrContainsCached, parseCidr } from "./cidr.ts";

Deno.test("parseCidr() parses IPv4 blocks and bare addresses", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), {
    family: 4,
    bytes: new Uint8Array([10, 0, 0, 0]),
    prefix: 8,
  });
  assert.equal(parseCidr("127.0.0.1").prefix, 32);
  assert.deepEqual(parseCidr("10.1.2.3/8").bytes, new Uint8Array([10, 0, 0, 0]));
  assert.equal(parseCidr("0.0.0.0/0").prefix, 0);
});

Deno.test("parseCidr() parses IPv6 blocks", () => {
  const one = parseCidr("::1/128");
  assert.equal(one.family, 6);
  assert.equal(one.bytes[15], 1);
  assert.equal(parseCidr("::1").prefix, 128);
  assert.equal(parseCidr("fd00::/8").bytes[0], 0xfd);
  assert.equal(parseCidr("2001:db8:0:0:0:0:0:1").bytes[3], 0xb8);
  assert.equal(parseCidr("::").prefix, 128);
  assert.equal(parseCidr("64:ff9b::192.0.2.1/128").bytes[15], 1);
});

Deno.test("parseCidr() turns an IPv4-mapped block into IPv4", () => {
  assert.deepEqual(parseCidr("::ffff:10.0.0.0/104"), {
    family: 4,
    bytes: new Uint8Array([10, 0, 0, 0]),
    prefix: 8,
  });
  assert.equal(parseCidr("::ffff:127.0.0.1").family, 4);
});

Deno.test("parseCidr() refuses malformed blocks", () => {
  for (
    const s of [
      "",
      "10.0.0",
      "10.0.0.0.0",
      "256.0.0.1",
      "010.0.0.1",
      "10.0.0.1/33",
      "10.0.0.1/",
      "10.0.0.1/08",
      "10.0.0.1/-1",
      "10.0.0.1/8/8",
      " 10.0.0.1",
      "::1/129",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "g::1",
      "1.2.3.4::",
      "localhost",
      "::1%eth0",
    ]
  ) {
    assert.throws(
      () => parseCidr(s),
      (e) => e instanceof KeypebbleError && e.code === "config_invalid",
      s,
    );
  }
});

Deno.test("cidrContains() matches IPv4, IPv6 and mapped addresses", () => {
  const list = ["127.0.0.1", "10.0.0.0/8", "::1/128", "fd00::/8"].map(parseCidr);
  assert.equal(cidrContains(list, "127.0.0.1"), true);
  assert.equal(cidrContains(list, "127.0.0.2"), false);
  assert.equal(cidrContains(list, "10.255.1.2"), true);
  assert.equal(cidrContains(list, "11.0.0.1"), false);
  assert.equal(cidrContains(list, "::1"), true);
  assert.equal(cidrContains(list, "[::1]"), true);
  assert.equal(cidrContains(list, "::2"), false);
  assert.equal(cidrContains(list, "fd12:3456::1"), true);
  assert.equal(cidrContains(list, "fe80::1%eth0"), false);
  assert.equal(cidrContains(list, "::ffff:127.0.0.1"), true);
  assert.equal(cidrContains(list, "::ffff:7f00:1"), true);
  assert.equal(cidrContains(list, "::ffff:10.9.9.9"), true);
  assert.equal(cidrContains(list, "::ffff:192.168.0.1"), false);
  assert.equal(cidrContains(list, "not an address"), false);
  assert.equal(cidrContains(list, ""), false);
  assert.equal(cidrContains([], "127.0.0.1"), false);
});

Deno.test("cidrContains() matches a mapped block against plain IPv4", () => {
  assert.equal(cidrContains([parseCidr("::ffff:192.168.0.0/112")], "192.168.3.4"), true);
  assert.equal(cidrContains([parseCidr("0.0.0.0/0")], "::1"), false);
  assert.equal(cidrContains([parseCidr("::/0")], "::1"), true);
});

Deno.test("cidrContainsCached() answers as cidrContains(), per list", () => {
  const a = [parseCidr("10.0.0.0/8")];
  const b = [parseCidr("192.0.2.0/24")];
  for (const addr of ["10.1.2.3", "192.0.2.9", "::1", "not an address", "10.1.2.3"]) {
    assert.equal(cidrContainsCached(a, addr), cidrContains(a, addr), addr);
    assert.equal(cidrContainsCached(b, addr), cidrContains(b, addr), addr);
  }
  assert.equal(cidrContainsCached([], "10.1.2.3"), false);
});
