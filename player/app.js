// edgeflix player: list titles, ask the API for playback (which sets the
// CloudFront signed cookies for /video/{id}/), then play the master playlist
// with hls.js. `?title=<id>&autoplay=1` starts a title straight away (tests).
//
// Grants last as long as the viewing: the player renews the cookies at the
// grant's `renew_after` (a timer that also runs while paused), before any
// request once that time has passed (a tab whose timers slept), and once when
// a playlist or segment answers 403, retrying that load after the renewal. A
// renewal refused with 403 (past the renewal window) starts a new play.
(function () {
  'use strict';

  var video = document.getElementById('video');
  var list = document.getElementById('titles');
  var statusLine = document.getElementById('status');
  var state = window.edgeflixPlayer = {
    engine: null, title: null, error: null, hls: null,
    grant: null, renewals: 0, plays: 0, renewing: null
  };
  var renewTimer = null;
  var RENEWAL_RETRY_MS = 10000;
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

  function postJson(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    });
  }

  // A grant document from playback or renewal: remember it and schedule the next renewal.
  function takeGrant(id, grant) {
    state.grant = {
      title: id,
      expires_at: grant.expires_at,
      renew_after: grant.renew_after,
      renewal_token: grant.renewal_token
    };
    clearTimeout(renewTimer);
    if (typeof grant.renew_after === 'number') {
      var wait = Math.max(1000, grant.renew_after * 1000 - Date.now());
      renewTimer = setTimeout(function () { renewGrant(); }, wait);
    }
    return grant;
  }

  function authorise(id) {
    return postJson('/api/v1/titles/' + encodeURIComponent(id) + '/playback', {})
      .then(function (res) {
        if (!res.ok) { throw new Error('playback: HTTP ' + res.status); }
        return res.json();
      }).then(function (grant) {
        state.plays += 1;
        return takeGrant(id, grant);
      });
  }

  // Renew the current grant; one renewal at a time, shared by everyone who asks.
  function renewGrant() {
    if (state.renewing) { return state.renewing; }
    var grant = state.grant;
    if (!grant) { return Promise.resolve(null); }
    var id = grant.title;
    state.renewing = postJson(
      '/api/v1/titles/' + encodeURIComponent(id) + '/playback/renewal',
      { renewal_token: grant.renewal_token }
    ).then(function (res) {
      if (res.status === 403) { return authorise(id); }  // past the window: a new play
      if (!res.ok) { throw new Error('renewal: HTTP ' + res.status); }
      return res.json().then(function (body) {
        state.renewals += 1;
        return takeGrant(id, body);
      });
    }).catch(function () {
      // The cookies may still be valid for a while: try again soon.
      clearTimeout(renewTimer);
      renewTimer = setTimeout(function () { renewGrant(); }, RENEWAL_RETRY_MS);
      return null;
    }).then(function (result) {
      state.renewing = null;
      return result;
    });
    return state.renewing;
  }

  // Before each playlist or segment request: wait for a renewal in flight, or start
  // one when renew_after has passed without the timer firing.
  function beforeRequest(xhr) {
    xhr.withCredentials = true;
    var grant = state.grant;
    if (!state.renewing && grant && Date.now() >= grant.renew_after * 1000) { renewGrant(); }
    return state.renewing || undefined;
  }

  // hls.js retries no 4xx by default; a 403 means the cookies ran out: renew, retry once.
  function retryAfterRenewal(retryConfig, retryCount, isTimeout, response, retry) {
    if (response && response.code === 403) {
      if (retryCount > 0) { return false; }
      renewGrant();
      return true;
    }
    return retry;
  }

  function renewingPolicy(policy) {
    var copy = JSON.parse(JSON.stringify(policy));
    var errorRetry = copy.default.errorRetry ||
      { maxNumRetry: 1, retryDelayMs: 1000, maxRetryDelayMs: 8000 };
    errorRetry.maxNumRetry = Math.max(1, errorRetry.maxNumRetry);
    errorRetry.shouldRetry = retryAfterRenewal;
    copy.default.errorRetry = errorRetry;
    return copy;
  }

  function attach(url) {
    if (state.hls) { state.hls.destroy(); state.hls = null; }
    if (window.Hls && window.Hls.isSupported()) {
      var defaults = window.Hls.DefaultConfig;
      var hls = new window.Hls({
        xhrSetup: beforeRequest,
        manifestLoadPolicy: renewingPolicy(defaults.manifestLoadPolicy),
        playlistLoadPolicy: renewingPolicy(defaults.playlistLoadPolicy),
        fragLoadPolicy: renewingPolicy(defaults.fragLoadPolicy)
      });
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
    return authorise(id).then(function (grant) {
      attach(grant.manifest_url);
      say('Playing ' + (names[id] || id) + ' (' + state.engine + ')');
      return video.play().catch(function () { /* autoplay may need a click */ });
    }).catch(function (err) { fail(err.message); });
  }

  state.play = play;
  state.renew = renewGrant;
  var params = new URLSearchParams(window.location.search);
  loadTitles().then(function (titles) {
    var wanted = params.get('title');
    if (params.get('autoplay') === '1' && (wanted || titles.length)) {
      play(wanted || titles[0].id);
    }
  }).catch(function (err) { fail(err.message); });
}());
