// edgeflix player, the profile picker and the browse page (rows of posters).
//
// Rows: "Continue watching" (this profile's recently started titles), "Because you
// watched X" (GET /api/v1/recommendations?profile=…, the recommendations service,
// grouped by each item's `reason`; "Top picks" for the other reasons), "Trending now"
// (GET /api/v1/trending, the catalog service) and one row per genre (the catalog).
// Services fail alone: when recommendations answer 503 or fail, the profile's rows
// give way to trending and a note says so; when trending is ranked by popularity
// (the plays table is down) or fails, the row says "Popular on edgeflix" and a note
// says so; the genre rows need only the catalog.
(function () {
  'use strict';

  var E = window.edgeflix;
  var rows = document.getElementById('rows');
  var allTitles = document.getElementById('titles');
  var browseNote = document.getElementById('browse-note');
  var profilesNote = document.getElementById('profiles-note');
  var profileList = document.getElementById('profile-list');
  var catalog = [];  // every title summary, in catalog order
  var PAGE = 100;  // the API's largest page (app/catalog_api.py MAX_LIMIT)
  var ROW = 20;
  // The API keeps plays but offers no viewing-history endpoint, so "Continue watching"
  // is this browser's memory: the profile's recently started titles in localStorage
  // (`edgeflix.continue.<profile id>`, newest first), not the account's history.
  var CONTINUE_PREFIX = 'edgeflix.continue.';
  var CONTINUE_MAX = 12;

  function getJson(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) { throw new Error(url.split('?')[0] + ': HTTP ' + res.status); }
      return res.json();
    });
  }

  // Every page of GET /api/v1/titles, following next_offset.
  function loadCatalog() {
    var titles = [];
    function page(offset) {
      return getJson('/api/v1/titles?limit=' + PAGE + '&offset=' + offset).then(function (body) {
        titles = titles.concat(body.items || []);
        return typeof body.next_offset === 'number' ? page(body.next_offset) : titles;
      });
    }
    return page(0).then(function (all) {
      catalog = all;
      all.forEach(function (t) { E.names[t.id] = t.title || t.id; });
      E.setListed(all);
      fill(allTitles, all);
      return all;
    });
  }

  function length(seconds) {
    if (!seconds) { return ''; }
    return seconds < 90 ? Math.round(seconds) + ' s' : Math.round(seconds / 60) + ' min';
  }

  function tile(t) {
    var item = document.createElement('li');
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'tile';
    button.dataset.id = t.id;
    button.setAttribute('aria-current', t.id === E.state.title ? 'true' : 'false');
    if (t.poster_url) {
      var img = document.createElement('img');
      img.src = t.poster_url;
      img.alt = '';
      img.loading = 'lazy';
      button.appendChild(img);
    }
    var name = document.createElement('span');
    name.textContent = t.title || t.id;
    var meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = [t.year, (t.genres || []).join(', '),
      length(t.duration)].filter(Boolean).join(' · ');
    button.appendChild(name);
    button.appendChild(meta);
    button.addEventListener('click', function () { E.play(t.id); });
    item.appendChild(button);
    return item;
  }

  function fill(list, titles) {
    list.textContent = '';
    titles.forEach(function (t) { list.appendChild(tile(t)); });
  }

  function addRow(heading, titles) {
    if (!titles.length) { return; }
    var row = document.createElement('div');
    row.className = 'row';
    var h = document.createElement('h2');
    h.textContent = heading;
    var list = document.createElement('ul');
    fill(list, titles);
    row.appendChild(h);
    row.appendChild(list);
    rows.appendChild(row);
  }

  function byPopularity() {
    return catalog.slice().sort(function (a, b) {
      return (b.popularity || 0) - (a.popularity || 0);
    }).slice(0, ROW);
  }

  function continueKey() {
    var profile = E.chosenProfile();
    return CONTINUE_PREFIX + (profile ? profile.id : 'none');
  }

  function continued() {
    var ids;
    try { ids = JSON.parse(window.localStorage.getItem(continueKey()) || '[]'); } catch (e) { ids = []; }
    var known = {};
    catalog.forEach(function (t) { known[t.id] = t; });
    return ids.map(function (id) { return known[id]; }).filter(Boolean);
  }

  function remember(id) {
    var ids = continued().map(function (t) { return t.id; }).filter(function (x) { return x !== id; });
    ids.unshift(id);
    try {
      window.localStorage.setItem(continueKey(), JSON.stringify(ids.slice(0, CONTINUE_MAX)));
    } catch (e) { /* storage full or disabled: the row just stays as it was */ }
  }

  function recommendations(profile) {
    return getJson('/api/v1/recommendations?limit=' + ROW + '&profile=' +
      encodeURIComponent(profile.id));
  }

  // GET /api/v1/trending: the same for every viewer, so the CDN may share it.
  function trendingTitles() {
    return getJson('/api/v1/trending?limit=' + ROW);
  }

  // The chosen profile's rows: one "Because you watched X" per such reason, in rank
  // order, then "Top picks" for the other reasons (trending, popular, watched together).
  function profileRows(body, profile) {
    var groups = {};
    var order = [];
    var others = [];
    (body.items || []).forEach(function (item) {
      var reason = item.reason || '';
      if (reason.indexOf('because you watched ') !== 0) { others.push(item); return; }
      if (!groups[reason]) { groups[reason] = []; order.push(reason); }
      groups[reason].push(item);
    });
    return order.map(function (reason) {
      return { heading: 'Because you watched ' + reason.slice('because you watched '.length),
               titles: groups[reason] };
    }).concat([{ heading: 'Top picks for ' + profile.name, titles: others }]);
  }

  function renderBrowse() {
    var profile = E.chosenProfile();
    var notes = [];
    var forProfile = profile ? recommendations(profile).then(function (body) {
      if (body.degraded) {
        notes.push('Personal picks for ' + profile.name + ' are limited right now: ' +
          'showing what is trending instead.');
        return null;
      }
      return body;
    }, function () {
      notes.push('Personal picks for ' + profile.name + ' are unavailable right now: ' +
        'showing what is trending instead.');
      return null;
    }) : Promise.resolve(null);
    var trending = trendingTitles().then(function (body) {
      if (body.degraded || body.source !== 'plays') {
        notes.push('Trending is unavailable right now: showing popular titles.');
        return { heading: 'Popular on edgeflix', titles: body.items || [] };
      }
      return { heading: 'Trending now', titles: body.items || [] };
    }, function () {
      notes.push('Trending is unavailable right now: showing popular titles.');
      return { heading: 'Popular on edgeflix', titles: byPopularity() };
    });
    return Promise.all([forProfile, trending]).then(function (answers) {
      rows.textContent = '';
      addRow('Continue watching' + (profile ? ' for ' + profile.name : ''), continued());
      if (answers[0]) {
        profileRows(answers[0], profile).forEach(function (r) { addRow(r.heading, r.titles); });
      }
      addRow(answers[1].heading, answers[1].titles);
      var genres = {};
      catalog.forEach(function (t) {
        (t.genres || []).forEach(function (g) { (genres[g] = genres[g] || []).push(t); });
      });
      Object.keys(genres).sort().forEach(function (g) { addRow(g, genres[g]); });
      browseNote.textContent = notes.join(' ');
      rows.dataset.ready = 'true';
    });
  }

  function profileButton(p, current) {
    var item = document.createElement('li');
    var button = document.createElement('button');
    button.type = 'button';
    button.dataset.id = p.id;
    button.textContent = p.name;
    button.setAttribute('aria-current', current && current.id === p.id ? 'true' : 'false');
    button.addEventListener('click', function () {
      E.choose({ id: p.id, name: p.name });
      E.say('Hi ' + p.name + ': pick a title.');
      window.location.hash = '#browse';
    });
    item.appendChild(button);
    return item;
  }

  function profilesUnavailable() {
    profilesNote.textContent = 'Profiles are unavailable right now: you can still browse and ' +
      'watch without one.';
  }

  function renderProfiles() {
    profilesNote.textContent = '';
    return E.requestSignedIn('GET', '/api/v1/profiles').then(function (res) {
      if (!res.ok) { throw new Error('profiles: HTTP ' + res.status); }
      return res.json();
    }).then(function (body) {
      var current = E.chosenProfile();
      profileList.textContent = '';
      (body.items || []).forEach(function (p) { profileList.appendChild(profileButton(p, current)); });
      var full = (body.items || []).length >= (body.max || 5);
      document.getElementById('new-profile').hidden = full;
      E.say(body.items && body.items.length ? "Who's watching? Pick a profile."
        : 'Add a profile to start watching.');
    }).catch(function (err) {
      if (!E.signedIn()) { E.fail(err.message); return; }
      profilesUnavailable();
    });
  }

  function createProfile(event) {
    event.preventDefault();
    var field = document.getElementById('profile-name');
    var name = field.value.trim();
    if (!name) { return Promise.resolve(); }
    return E.requestSignedIn('POST', '/api/v1/profiles', { name: name }).then(function (res) {
      if (res.status >= 500) { profilesUnavailable(); return null; }
      if (!res.ok) { return E.problem(res, 'New profile').then(function (e) { throw e; }); }
      return res.json().then(function (p) {
        field.value = '';
        E.say('Profile ' + p.name + ' added.');
        return renderProfiles();
      });
    }).catch(function (err) { profilesNote.textContent = err.message; });
  }

  document.getElementById('new-profile').addEventListener('submit', createProfile);
  E.hooks.started = function (id) {
    remember(id);
    document.getElementById('stage').className = 'playing';
    Array.prototype.forEach.call(document.querySelectorAll('.tile'), function (b) {
      b.setAttribute('aria-current', b.dataset.id === id ? 'true' : 'false');
    });
    if (window.location.hash !== '#browse') { window.location.hash = '#browse'; }
    window.scrollTo(0, 0);
  };
  E.loadCatalog = loadCatalog;
  E.renderBrowse = renderBrowse;
  E.renderProfiles = renderProfiles;
}());
