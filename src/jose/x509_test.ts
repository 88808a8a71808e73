import assert from "node:assert/strict";
import { makeCert } from "../../tests/helpers/certs.ts";
import { KeypebbleError } from "../errors.ts";
import { parseCertificateChainPem } from "./keys.ts";
import { assertKeyMatchesCertificate, parseCertificate } from "./x509.ts";

Deno.test("parseCertificate() reads subject, issuer, validity, SANs and CA flag", async () => {
  const ca = await makeCert({ subject: [["O", "Test"], ["CN", "Test CA"]], ca: true });
  const notAfter = Date.UTC(2031, 0, 2, 3, 4, 5);
  const leaf = await makeCert({
    subject: [["O", "Edge, Inc"], ["CN", "alice"]],
    issuer: ca,
    uris: ["spiffe://example.org/ns/prod/sa/web"],
    dns: ["web.example.org", "web"],
    ips: ["127.0.0.1"],
    notAfter,
  });
  const c = parseCertificate(parseCertificateChainPem(leaf.certPem)[0]);
  // RFC 4514: most specific RDN first, the comma in a value escaped
  assert.equal(c.subject, "CN=alice,O=Edge\\, Inc");
  assert.equal(c.issuer, "CN=Test CA,O=Test");
  assert.deepEqual(c.sanUris, ["spiffe://example.org/ns/prod/sa/web"]);
  assert.deepEqual(c.sanDns, ["web.example.org", "web"]);
  assert.deepEqual(c.sanIps, ["127.0.0.1"]);
  assert.equal(c.notAfter, notAfter);
  assert.equal(c.isCa, false);
  assert.equal(c.keyType, "EC P-256");
  assert.equal(parseCertificate(parseCertificateChainPem(ca.certPem)[0]).isCa, true);
});

Deno.test("parseCertificate() refuses bytes that are not a certificate", () => {
  assert.throws(
    () => parseCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])),
    KeypebbleError,
  );
  assert.throws(() => parseCertificate(new Uint8Array([1, 2, 3])), KeypebbleError);
});

Deno.test("assertKeyMatchesCertificate() accepts the certificate's own key only", async () => {
  const a = await makeCert({ subject: [["CN", "a"]] });
  const b = await makeCert({ subject: [["CN", "b"]] });
  const certA = parseCertificate(parseCertificateChainPem(a.certPem)[0]);
  await assertKeyMatchesCertificate(a.keyPem, certA);
  await assert.rejects(
    assertKeyMatchesCertificate(b.keyPem, certA),
    /does not belong to the certificate/,
  );
  await assert.rejects(
    assertKeyMatchesCertificate(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n",
      certA,
    ),
    /encrypted/,
  );
  await assert.rejects(assertKeyMatchesCertificate("not a key", certA), /no private key/);
});

Deno.test("assertKeyMatchesCertificate() reads a SEC1 EC key as the certificate's curve", async () => {
  const a = await makeCert({ subject: [["CN", "a"]] });
  const certA = parseCertificate(parseCertificateChainPem(a.certPem)[0]);
  // SEC1 (RFC 5915) built from the PKCS#8 the helper exported: the inner ECPrivateKey
  const der = Uint8Array.from(
    atob(a.keyPem.replace(/-----[^-]+-----|\s/g, "")),
    (c) => c.charCodeAt(0),
  );
  // PKCS#8 (RFC 5208): SEQUENCE { version, AlgorithmIdentifier, OCTET STRING { ECPrivateKey } }
  const top = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
  const algId = top + 3;
  const octets = algId + 2 + der[algId + 1];
  const inner = der.slice(octets + 2);
  const sec1 = `-----BEGIN EC PRIVATE KEY-----\n${
    btoa(String.fromCharCode(...inner))
  }\n-----END EC PRIVATE KEY-----\n`;
  await assertKeyMatchesCertificate(sec1, certA);
});
