/* Proof-of-work of the anonymous pages' forms (see havenwatch.reporting.abuse).

   Every form[data-pow] carries data-pow-token, data-pow-difficulty, data-pow-worker (the
   URL of pow-worker.js) and data-pow-wait-text (translated). Solving starts as soon as the
   page loads, in a Web Worker; the answer goes into the form's input[name=pow_solution].
   Pressed before it is ready, send waits: the wait text shows in the form's
   [data-pow-status] and the form is sent once solved. Without Workers the search runs on
   the page in slices of a few milliseconds, so the page stays responsive. If no answer can
   be found at all, the form is sent without one: the server then applies its rule for
   pages without JavaScript. Nothing is disabled. */
(function () {
  'use strict';

  var SLICE_MS = 25;
  var SLICE_TRIES = 2000;
  var onPage = null;

  function inWorker(url, token, difficulty) {
    return new Promise(function (resolve, reject) {
      var worker;
      try {
        worker = new Worker(url);
      } catch (error) {
        reject(error);
        return;
      }
      worker.onmessage = function (event) {
        worker.terminate();
        var solution = event.data && event.data.solution;
        if (typeof solution === 'string') resolve(solution); else reject(new Error('no solution'));
      };
      worker.onerror = function (event) {
        if (event && event.preventDefault) event.preventDefault();
        worker.terminate();
        reject(new Error('worker failed'));
      };
      worker.postMessage({token: token, difficulty: difficulty});
    });
  }

  /* The worker's script, loaded once as a plain script: it defines window.HavenwatchPow. */
  function loadOnPage(url) {
    if (!onPage) {
      onPage = new Promise(function (resolve, reject) {
        if (window.HavenwatchPow) {
          resolve(window.HavenwatchPow);
          return;
        }
        var script = document.createElement('script');
        script.src = url;
        script.onload = function () {
          if (window.HavenwatchPow) resolve(window.HavenwatchPow); else reject(new Error('no solver'));
        };
        script.onerror = function () { reject(new Error('no solver')); };
        document.head.appendChild(script);
      });
    }
    return onPage;
  }

  function onThePage(url, token, difficulty) {
    return loadOnPage(url).then(function (pow) {
      return new Promise(function (resolve) {
        var solver = new pow.Solver(token, difficulty);
        (function slice() {
          var until = Date.now() + SLICE_MS, solution = null;
          while (solution === null && Date.now() < until) solution = solver.run(SLICE_TRIES);
          if (solution !== null) resolve(solution); else setTimeout(slice, 0);
        })();
      });
    });
  }

  function solve(url, token, difficulty) {
    var first = typeof Worker === 'function' ? inWorker(url, token, difficulty) : Promise.reject(new Error('no Worker'));
    return first.catch(function () { return onThePage(url, token, difficulty); });
  }

  /* Send the form as if `submitter` had been pressed again. */
  function send(form, submitter) {
    if (submitter && submitter.form !== form) submitter = null;
    if (typeof form.requestSubmit === 'function') {
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
      return;
    }
    if (submitter && submitter.name) {
      var pressed = document.createElement('input');
      pressed.type = 'hidden';
      pressed.name = submitter.name;
      pressed.value = submitter.value;
      form.appendChild(pressed);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function setUp(form) {
    var token = form.getAttribute('data-pow-token');
    var difficulty = parseInt(form.getAttribute('data-pow-difficulty'), 10);
    var url = form.getAttribute('data-pow-worker');
    if (!token || !url || isNaN(difficulty)) return;
    var field = form.querySelector('input[name="pow_solution"]');
    if (!field) {
      field = document.createElement('input');
      field.type = 'hidden';
      field.name = 'pow_solution';
      form.appendChild(field);
    }
    var status = form.querySelector('[data-pow-status]');
    var done = false;
    var waiting = null;

    form.addEventListener('submit', function (event) {
      if (done) return;
      event.preventDefault();
      waiting = {submitter: event.submitter || null};
      form.setAttribute('aria-busy', 'true');
      if (status) status.textContent = form.getAttribute('data-pow-wait-text') || '';
    });

    solve(url, token, difficulty).then(function (solution) {
      field.value = solution;
    }, function () {
      field.value = '';
    }).then(function () {
      done = true;
      form.removeAttribute('aria-busy');
      if (!waiting) return;
      var submitter = waiting.submitter;
      waiting = null;
      if (status) status.textContent = '';
      send(form, submitter);
    });
  }

  function start() {
    var forms = document.querySelectorAll('form[data-pow]');
    for (var i = 0; i < forms.length; i++) setUp(forms[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
