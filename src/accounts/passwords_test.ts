import assert from "node:assert/strict";
import { apr1Hash, verifyApr1 } from "./apr1.ts";
import { bcryptHash, piWords, verifyBcrypt, verifyBcryptAsync } from "./bcrypt.ts";
import { md5 } from "./md5.ts";
import { checkNewPassword, hashKind, hashNewPassword, verifyAnyPassword } from "./passwords.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const A72 = "a".repeat(72);

// Made with `htpasswd -nbB -C 4 u PASSWORD` (Apache 2.4, Debian apache2-utils).
const HTPASSWD_BCRYPT: [string, string][] = [
  ["", "$2y$04$8wyXcADI4P6quNHwV8uT0uKeCR1rGxse2o4Zwj0pV/sGgJ455XFOu"],
  ["password", "$2y$04$63eJnkei6SAcL7HHEc4bK.m8S.Ir1B0tREWpl5wCkfU45OsDfWa0S"],
  ["correct horse battery staple", "$2y$04$bjBE4zYMzxIPl1HNoN477..EaEIyTx7qCA6vdCpqe0C2/3QTlOfo."],
  ["ünïcödé-pässwörd", "$2y$04$NjlKeecNjW/5OqRaVVJw0.iUZUJZQHTPXJA4Ay5E0YrjjyncIuN4u"],
  [A72, "$2y$04$NBGMf.Ylj/9GMfJfiI8WguqWEIPrxWPR3KDeRTUCrUFo29YbMqgLm"],
  ["a".repeat(71) + "b", "$2y$05$TTo1NzAw4FyN1YUmE5943e2ygjjV..7Vs/QPKUSmxTP4o9QvpKTNm"],
];

Deno.test("md5() matches the RFC 1321 test suite", () => {
  assert.equal(hex(md5(new Uint8Array())), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(hex(md5(new TextEncoder().encode("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  assert.equal(
    hex(md5(new TextEncoder().encode("1234567890".repeat(8)))),
    "57edf4a22be3c955ac49da2e2107b67a",
  );
});

Deno.test("piWords() starts with Blowfish's P-array and ends with its last S-box word", () => {
  const w = piWords();
  assert.equal(w[0], 0x243f6a88);
  assert.equal(w[1], 0x85a308d3);
  assert.equal(w[17], 0x8979fb1b);
  assert.equal(w[18], 0xd1310ba6); // S-box 0, word 0
  assert.equal(w[w.length - 1], 0x3ac372e6); // S-box 3, word 255
});

Deno.test("verifyBcrypt() accepts hashes made by htpasswd -B and refuses wrong passwords", () => {
  for (const [pw, hash] of HTPASSWD_BCRYPT) {
    assert.ok(verifyBcrypt(pw, hash), `should verify ${JSON.stringify(pw.slice(0, 10))}`);
    assert.ok(!verifyBcrypt(pw + "x", hash));
  }
  // The openwall crypt_blowfish known answer
  assert.ok(verifyBcrypt("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
});

Deno.test("verifyBcrypt() refuses a password longer than 72 bytes instead of truncating it", () => {
  const hash = HTPASSWD_BCRYPT[4][1];
  assert.ok(verifyBcrypt(A72, hash));
  assert.ok(!verifyBcrypt(A72 + "a", hash));
  assert.ok(!verifyBcrypt(A72 + "anything", hash));
  // 24 three-byte characters are 72 bytes; one more is 75
  const wide = "€".repeat(24);
  const h = bcryptHash(wide, new Uint8Array(16).fill(7), 4);
  assert.ok(verifyBcrypt(wide, h));
  assert.ok(!verifyBcrypt(wide + "€", h));
});

Deno.test("verifyBcrypt() refuses malformed hashes, $2x$ and costs above 14", () => {
  // Refused before any work is done (a cost of 15 would take seconds).
  assert.ok(
    !verifyBcrypt("password", "$2b$15$63eJnkei6SAcL7HHEc4bK.m8S.Ir1B0tREWpl5wCkfU45OsDfWa0S"),
  );
  assert.ok(
    !verifyBcrypt("password", "$2x$04$63eJnkei6SAcL7HHEc4bK.m8S.Ir1B0tREWpl5wCkfU45OsDfWa0S"),
  );
  assert.ok(
    !verifyBcrypt("password", "$2b$31$63eJnkei6SAcL7HHEc4bK.m8S.Ir1B0tREWpl5wCkfU45OsDfWa0S"),
  );
  assert.ok(!verifyBcrypt("password", "$2b$04$short"));
});

Deno.test("verifyApr1() accepts hashes made by htpasswd -m", () => {
  assert.ok(verifyApr1("password", "$apr1$Oz3p9x.t$GV83lhaTqJxn/C1oL.bRO."));
  assert.ok(verifyApr1("ünïcödé", "$apr1$ChJ/Ch27$k8MMPBRQh4LwJknhAGOHK1"));
  assert.ok(!verifyApr1("Password", "$apr1$Oz3p9x.t$GV83lhaTqJxn/C1oL.bRO."));
  assert.equal(apr1Hash("password", "Oz3p9x.t"), "$apr1$Oz3p9x.t$GV83lhaTqJxn/C1oL.bRO.");
});

Deno.test("verifyAnyPassword() dispatches on the hash kind and says when to rehash", async () => {
  assert.equal(hashKind("$2b$04$x"), "bcrypt");
  assert.equal(hashKind("$apr1$x$y"), "apr1");
  assert.equal(hashKind("$pbkdf2-sha256$i=1000$x$y"), "pbkdf2");
  assert.equal(hashKind("{SHA}abc"), "unknown");
  const r = await verifyAnyPassword("password", HTPASSWD_BCRYPT[1][1]);
  assert.deepEqual(r, { ok: true, rehash: true });
  assert.deepEqual(await verifyAnyPassword("nope", HTPASSWD_BCRYPT[1][1]), {
    ok: false,
    rehash: false,
  });
  assert.deepEqual(await verifyAnyPassword("x", "{SHA}abc"), { ok: false, rehash: false });
});

Deno.test("checkNewPassword() enforces the minimum length in characters and a byte cap", () => {
  assert.throws(() => checkNewPassword("short", 8), /at least 8 characters/);
  assert.doesNotThrow(() => checkNewPassword("päßwörd!", 8));
  assert.throws(() => checkNewPassword("x".repeat(1025), 8), /at most 1024 bytes/);
  assert.throws(() => checkNewPassword(42 as unknown as string, 8), /must be a string/);
});

Deno.test("checkNewPassword() refuses the guessable and the untypeable, and stores NFC", () => {
  for (
    const bad of [
      "12345678",
      "password",
      "Password1",
      "\u0000".repeat(8),
      "\u200b".repeat(8),
      "        ",
      "zzzzzzzzzz",
      "abc\u200bdefg", // 7 visible characters
      "line\nbreak-pw",
    ]
  ) {
    assert.throws(() => checkNewPassword(bad, 8), /invalid|password/i, JSON.stringify(bad));
  }
  // "é" typed as e + combining acute is stored as the one code point.
  assert.equal(checkNewPassword("caf\u0065\u0301-au-lait", 8), "caf\u00e9-au-lait");
  assert.equal(checkNewPassword("correct horse", 8), "correct horse");
});

Deno.test("verifyAnyPassword() matches a password typed in another Unicode form", async () => {
  const hash = await hashNewPassword(checkNewPassword("caf\u00e9-au-lait", 8), 1000);
  assert.ok((await verifyAnyPassword("caf\u0065\u0301-au-lait", hash)).ok);
  assert.ok(!(await verifyAnyPassword("cafe-au-lait", hash)).ok);
});

Deno.test("verifyBcryptAsync() answers as verifyBcrypt() and lets the event loop run meanwhile", async () => {
  const hash = bcryptHash("correct horse", new Uint8Array(16).fill(7), 10);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 0);
  try {
    assert.equal(await verifyBcryptAsync("correct horse", hash), true);
    assert.equal(await verifyBcryptAsync("wrong horse", hash), false);
  } finally {
    clearInterval(ticker);
  }
  assert.ok(ticks > 0, "timers ran while bcrypt worked");
  assert.ok(
    await verifyBcryptAsync("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
  );
});
