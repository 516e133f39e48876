// edgeflix player: list titles, ask the API for playback (which sets the
// CloudFront signed cookies for /video/{id}/), then play the master playlist
// with hls.js. `?title=<id>&autoplay=1` starts a title straight away (tests).
(function () {
  'use strict';

  var video = document.getElementById('video');
  var list = document.getElementById('titles');
  var statusLine = document.getElementById('status');
  var state = window.edgeflixPlayer = { engine: null, title: null, error: null, hls: null };
  var names = {};

  function say(text) { statusLine.textContent = text; }

  function fail(text) {
    state.error = text;
    say(text);
  }

  function titlesOf(body) {
    if (Array.isArray(body)) { return body; }
    return body.titles || body.items || body.data || [];
  }

  function loadTitles() {
    return fetch('/api/v1/titles', { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) { throw new Error('titles: HTTP ' + res.status); }
      return res.json();
    }).then(function (body) {
      var titles = titlesOf(body);
      list.textContent = '';
      titles.forEach(function (t) {
        names[t.id] = t.title || t.name || t.id;
        var item = document.createElement('li');
        var button = document.createElement('button');
        button.type = 'button';
        button.dataset.id = t.id;
        button.textContent = t.title || t.name || t.id;
        var meta = document.createElement('span');
        meta.className = 'meta';
        meta.textContent = [(t.genres || []).join(', '), t.duration ? Math.round(t.duration) + ' s' : '']
          .filter(Boolean).join(' · ');
        button.appendChild(meta);
        button.addEventListener('click', function () { play(t.id); });
        item.appendChild(button);
        list.appendChild(item);
      });
      return titles;
    });
  }

  function markCurrent(id) {
    Array.prototype.forEach.call(list.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-current', b.dataset.id === id ? 'true' : 'false');
    });
  }

  function attach(url) {
    if (state.hls) { state.hls.destroy(); state.hls = null; }
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ xhrSetup: function (xhr) { xhr.withCredentials = true; } });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (data.fatal) { fail('Playback error: ' + data.type + ' ' + data.details); }
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      state.hls = hls;
      state.engine = 'hls.js';
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      state.engine = 'native';
    } else {
      throw new Error('this browser cannot play HLS');
    }
  }

  function play(id) {
    state.title = id;
    state.error = null;
    markCurrent(id);
    say('Starting ' + (names[id] || id) + '…');
    return fetch('/api/v1/titles/' + encodeURIComponent(id) + '/playback', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: '{}'
    }).then(function (res) {
      if (!res.ok) { throw new Error('playback: HTTP ' + res.status); }
      return res.json();
    }).then(function (grant) {
      attach(grant.manifest_url);
      say('Playing ' + (names[id] || id) + ' (' + state.engine + ')');
      return video.play().catch(function () { /* autoplay may need a click */ });
    }).catch(function (err) { fail(err.message); });
  }

  state.play = play;
  var params = new URLSearchParams(window.location.search);
  loadTitles().then(function (titles) {
    var wanted = params.get('title');
    if (params.get('autoplay') === '1' && (wanted || titles.length)) {
      play(wanted || titles[0].id);
    }
  }).catch(function (err) { fail(err.message); });
}());
