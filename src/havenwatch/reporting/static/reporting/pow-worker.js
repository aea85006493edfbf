/* Proof-of-work of the anonymous pages: the smallest counter such that
   SHA-256(token + ":" + counter) starts with `difficulty` zero bits, the same search as
   havenwatch.reporting.abuse.solve (tests/reporting/test_abuse.py checks both agree).

   As a Web Worker: postMessage({token, difficulty}) -> postMessage({solution}).
   Loaded as a plain script (a browser without Workers), it only defines
   self.HavenwatchPow = {Solver, sha256Hex}, for pow.js to search in short slices.

   SHA-256 is written out here: crypto.subtle.digest is asynchronous, one promise per hash,
   far slower for millions of short messages. The token's full 64-byte blocks are hashed
   once; each attempt hashes only the last one or two blocks. */
(function (root) {
  'use strict';

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var IV = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  ]);
  var W = new Int32Array(64);

  /* One 64-byte block of `bytes` at `at` into the state H (8 words), in place. */
  function compress(H, bytes, at) {
    var i, x, y, t1, t2;
    for (i = 0; i < 16; i++, at += 4) {
      W[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    }
    for (i = 16; i < 64; i++) {
      x = W[i - 15];
      y = W[i - 2];
      W[i] = ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
              (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
              W[i - 7] + W[i - 16]) | 0;
    }
    var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (i = 0; i < 64; i++) {
      t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
            ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
            ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
    H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
  }

  /* Padding of a message of `total` bytes whose last `used` bytes are in `block`
     (room for 128): returns how many bytes of `block` to compress (64 or 128). */
  function pad(block, used, total) {
    var size = used + 9 <= 64 ? 64 : 128, bits = total * 8, i;
    block[used] = 0x80;
    for (i = used + 1; i < size - 8; i++) block[i] = 0;
    var high = Math.floor(bits / 0x100000000), low = bits >>> 0;
    block[size - 8] = high >>> 24; block[size - 7] = high >>> 16; block[size - 6] = high >>> 8; block[size - 5] = high;
    block[size - 4] = low >>> 24; block[size - 3] = low >>> 16; block[size - 2] = low >>> 8; block[size - 1] = low;
    return size;
  }

  function utf8(text) {
    return new TextEncoder().encode(String(text));
  }

  /* The state after the whole blocks of `bytes`, and the bytes left over. */
  function absorb(bytes) {
    var H = new Int32Array(IV), whole = bytes.length - bytes.length % 64, at;
    for (at = 0; at < whole; at += 64) compress(H, bytes, at);
    return {state: H, rest: bytes.subarray(whole), length: bytes.length};
  }

  function hex(H) {
    var out = '', i;
    for (i = 0; i < 8; i++) out += ('0000000' + (H[i] >>> 0).toString(16)).slice(-8);
    return out;
  }

  function sha256Hex(text) {
    var head = absorb(utf8(text)), block = new Uint8Array(128);
    block.set(head.rest);
    var size = pad(block, head.rest.length, head.length);
    compress(head.state, block, 0);
    if (size === 128) compress(head.state, block, 64);
    return hex(head.state);
  }

  function zeroBits(H, enough) {
    var bits = 0, i, z;
    for (i = 0; i < 8 && bits < enough; i++) {
      z = Math.clz32(H[i]);
      bits += z;
      if (z < 32) break;
    }
    return bits;
  }

  /* The search for one token, resumable: run(count) tries up to `count` more counters and
     returns the solution as a decimal string, or null if not found yet. The counter's
     digits are counted up in place in the last block, which is padded again only when
     they grow by one. */
  function Solver(token, difficulty) {
    var head = absorb(utf8(String(token) + ':'));
    this.difficulty = Math.max(0, Math.min(256, Math.floor(Number(difficulty)) || 0));
    this.mid = head.state;
    this.length = head.length;
    this.used = head.rest.length;
    this.block = new Uint8Array(128);
    this.block.set(head.rest);
    this.H = new Int32Array(8);
    this.digits = 1;
    this.block[this.used] = 0x30;
    this.size = pad(this.block, this.used + 1, this.length + 1);
  }

  Solver.prototype.run = function (count) {
    var H = this.H, mid = this.mid, block = this.block, used = this.used, want = this.difficulty;
    var digits = this.digits, size = this.size, solution = null, i;
    for (; count > 0 && solution === null; count--) {
      H.set(mid);
      compress(H, block, 0);
      if (size === 128) compress(H, block, 64);
      if (zeroBits(H, want) >= want) {
        solution = String.fromCharCode.apply(null, block.subarray(used, used + digits));
      }
      /* the next counter, counted up in its digits */
      for (i = used + digits - 1; i >= used && block[i] === 0x39; i--) block[i] = 0x30;
      if (i >= used) {
        block[i]++;
      } else {
        block[used] = 0x31; /* 99 -> 100 */
        block[used + digits] = 0x30;
        digits++;
        size = pad(block, used + digits, this.length + digits);
      }
    }
    this.digits = digits;
    this.size = size;
    return solution;
  };

  root.HavenwatchPow = {Solver: Solver, sha256Hex: sha256Hex};

  if (typeof importScripts === 'function' && typeof document === 'undefined') {
    root.onmessage = function (event) {
      var data = event.data || {};
      var solution = new Solver(data.token, data.difficulty).run(Infinity);
      root.postMessage({solution: solution});
    };
  }
})(typeof self !== 'undefined' ? self : this);
