// The bot challenge's solver: finds a nonce whose SHA-256(token + ":" + nonce) starts with the asked-for
// zero bits, in short slices so the page stays responsive, and holds a submit until the answer is in.
// Progressive: without JavaScript the form still posts (the server then offers another way in).
(function () {
  'use strict';

  var SLICE_MS = 15;
  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  var IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var W = new Int32Array(64);

  // One SHA-256 compression of the 64 bytes of `bytes` at `offset` into `state` (8 words, updated in place).
  function compress(state, bytes, offset) {
    var i, s0, s1, t1, t2;
    for (i = 0; i < 16; i++) {
      var j = offset + i * 4;
      W[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (i = 16; i < 64; i++) {
      var w15 = W[i - 15];
      var w2 = W[i - 2];
      s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    var a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
    for (i = 0; i < 64; i++) {
      s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    state[0] = (state[0] + a) | 0; state[1] = (state[1] + b) | 0; state[2] = (state[2] + c) | 0; state[3] = (state[3] + d) | 0;
    state[4] = (state[4] + e) | 0; state[5] = (state[5] + f) | 0; state[6] = (state[6] + g) | 0; state[7] = (state[7] + h) | 0;
  }

  function ascii(text) {
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
    return out;
  }

  // Zero bits at the start of the 256-bit digest in `state`.
  function zeroBits(state) {
    var bits = 0;
    for (var i = 0; i < 8; i++) {
      var z = Math.clz32(state[i]);
      bits += z;
      if (z < 32) break;
    }
    return bits;
  }

  /**
   * Search state for one token. The token's whole 64-byte blocks are hashed once (the midstate); each
   * nonce then costs only the last block or two, whose digits are counted up in place.
   */
  function Search(token, difficulty) {
    var prefix = ascii(token + ':');
    var whole = prefix.length - (prefix.length % 64);
    this.mid = new Int32Array(IV);
    for (var o = 0; o < whole; o += 64) compress(this.mid, prefix, o);
    this.tail = prefix.subarray(whole);
    this.length = prefix.length;
    this.difficulty = difficulty;
    this.state = new Int32Array(8);
    this.layout(1);
  }

  // (Re)builds the final blocks for nonces of `digits` digits, starting at 10^(digits-1) (0 for one digit).
  Search.prototype.layout = function (digits) {
    var used = this.tail.length + digits + 1 + 8;
    this.block = new Uint8Array(used <= 64 ? 64 : 128);
    this.block.set(this.tail, 0);
    this.at = this.tail.length;
    this.digits = digits;
    for (var i = 0; i < digits; i++) this.block[this.at + i] = i === 0 && digits > 1 ? 49 : 48;
    this.block[this.at + digits] = 0x80;
    var bits = (this.length + digits) * 8;
    var end = this.block.length;
    // Messages here are far below 2^32 bits: the high length word stays zero.
    this.block[end - 4] = bits >>> 24; this.block[end - 3] = bits >>> 16; this.block[end - 2] = bits >>> 8; this.block[end - 1] = bits;
  };

  // Adds one to the decimal nonce in the block; a carry out of the top digit adds a digit.
  Search.prototype.next = function () {
    for (var i = this.at + this.digits - 1; i >= this.at; i--) {
      if (this.block[i] !== 57) { this.block[i]++; return; }
      this.block[i] = 48;
    }
    this.layout(this.digits + 1);
  };

  Search.prototype.nonce = function () {
    return String.fromCharCode.apply(null, this.block.subarray(this.at, this.at + this.digits));
  };

  /** Tries nonces until one solves or `deadline` (performance.now()) passes; returns it or null. */
  Search.prototype.run = function (deadline) {
    var state = this.state;
    for (;;) {
      for (var n = 0; n < 512; n++) {
        state.set(this.mid);
        compress(state, this.block, 0);
        if (this.block.length === 128) compress(state, this.block, 64);
        if (zeroBits(state) >= this.difficulty) return this.nonce();
        this.next();
      }
      if (performance.now() >= deadline) return null;
    }
  };

  // Lets the page handle input between slices; setTimeout would add 4 ms clamps and stall in the background.
  var channel = new window.MessageChannel();
  var queued = [];
  channel.port1.onmessage = function () { var run = queued.shift(); if (run) run(); };
  function yieldThen(run) { queued.push(run); channel.port2.postMessage(0); }

  function say(status, attribute) {
    if (status) status.textContent = status.getAttribute(attribute) || '';
  }

  function start(form) {
    // Loaded twice, or the same form met again: one solver per form.
    if (form.hasAttribute('data-bot-challenge-started')) return;
    var tokenInput = form.querySelector('input[name=bot_challenge]');
    var solutionInput = form.querySelector('input[name=bot_solution]');
    if (!tokenInput || !solutionInput || !tokenInput.value) return;
    var difficulty = parseInt(form.getAttribute('data-difficulty') || tokenInput.getAttribute('data-difficulty') || '', 10);
    if (!(difficulty >= 1 && difficulty <= 32)) return;
    form.setAttribute('data-bot-challenge-started', '');

    var status = form.querySelector('[data-bot-status]');
    var solved = false;
    var held = null;

    form.addEventListener('submit', function (event) {
      if (solved || event.defaultPrevented) return;
      // Too early: keep the member's click and send it, with the same button, once the answer is in.
      event.preventDefault();
      held = { submitter: event.submitter || null };
    });

    var search = new Search(tokenInput.value, difficulty);
    say(status, 'data-working');
    (function slice() {
      var nonce = search.run(performance.now() + SLICE_MS);
      if (nonce === null) { yieldThen(slice); return; }
      solutionInput.value = nonce;
      solved = true;
      say(status, 'data-done');
      if (held) resubmit(form, held.submitter);
    })();
  }

  function resubmit(form, submitter) {
    if (typeof form.requestSubmit === 'function') {
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      return;
    }
    // Old browsers: submit() skips the submitter, so carry its name and value by hand.
    if (submitter && submitter.name) {
      var carried = document.createElement('input');
      carried.type = 'hidden';
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.submit();
  }

  function startAll() {
    var forms = document.querySelectorAll('form[data-bot-challenge]');
    for (var i = 0; i < forms.length; i++) start(forms[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAll);
  else startAll();
})();
