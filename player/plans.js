// edgeflix player, the plan page: the plans (GET /api/v1/plans), the account's plan
// (GET /api/v1/account/plan) and a change (PUT /api/v1/account/plan) with a fresh
// Idempotency-Key per attempt, so a retried click is never a replay of an old one
// (the key's contract: app/plans_api.py). A refusal shows the API's problem detail.
(function () {
  'use strict';

  var E = window.edgeflix;
  var note = document.getElementById('plan-note');
  var current = document.getElementById('current-plan');
  var list = document.getElementById('plan-list');
  var PLANS_DOWN = 'Plans are unavailable right now: your plan has not changed.';

  // crypto.randomUUID needs a secure context (https or loopback); otherwise 122 random bits.
  function idempotencyKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
  }

  function describe(plan) {
    return (plan.max_height ? 'up to ' + plan.max_height + 'p' : 'every resolution') +
      ' · ' + plan.streams + (plan.streams === 1 ? ' screen' : ' screens');
  }

  function card(plan, mine) {
    var item = document.createElement('li');
    item.className = 'plan';
    item.dataset.plan = plan.name;
    item.setAttribute('aria-current', plan.name === mine ? 'true' : 'false');
    var h = document.createElement('h3');
    h.textContent = plan.name;
    var p = document.createElement('p');
    p.textContent = describe(plan);
    item.appendChild(h);
    item.appendChild(p);
    if (mine && plan.name !== mine) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Switch to ' + plan.name;
      button.addEventListener('click', function () { change(plan.name); });
      item.appendChild(button);
    }
    return item;
  }

  function accountPlan() {
    return E.requestSignedIn('GET', '/api/v1/account/plan').then(function (res) {
      if (!res.ok) { throw new Error(PLANS_DOWN); }
      return res.json();
    });
  }

  function renderPlan() {
    note.textContent = '';
    var plans = fetch('/api/v1/plans', { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) { throw new Error(PLANS_DOWN); }
      return res.json();
    });
    return Promise.all([plans, accountPlan()]).then(function (answers) {
      var mine = answers[1].name;
      current.textContent = 'You are on the ' + mine + ' plan (' + describe(answers[1]) + ').';
      list.textContent = '';
      (answers[0].items || []).forEach(function (plan) { list.appendChild(card(plan, mine)); });
      list.dataset.ready = 'true';
    }).catch(function (err) {
      current.textContent = '';
      list.textContent = '';
      note.textContent = err.message.indexOf('Sign in') === 0 || err.message.indexOf('session') >= 0
        ? err.message : PLANS_DOWN;
    });
  }

  function change(name) {
    note.textContent = '';
    var headers = { 'Idempotency-Key': idempotencyKey() };
    return E.requestSignedIn('PUT', '/api/v1/account/plan', { plan: name }, headers)
      .then(function (res) {
        if (res.status >= 500) { throw new Error(PLANS_DOWN); }
        if (!res.ok) { return E.problem(res, 'Plan change').then(function (e) { throw e; }); }
        return res.json().then(function (plan) {
          E.say('You are now on the ' + plan.name + ' plan.');
          return renderPlan();
        });
      }).catch(function (err) {
        note.textContent = err instanceof TypeError ? PLANS_DOWN : err.message;
      });
  }

  E.renderPlan = renderPlan;
}());
