// edgeflix player, the session and playback half: sign in (the accounts API, a Cognito
// user pool behind it), ask the API for playback with the access token (which sets the
// CloudFront signed cookies for the folder of /video/{id}/ the account's plan plays),
// then play that plan's master playlist (`manifest_url`) with hls.js.
// browse.js draws the profile picker and the rows, plans.js the plan page, views.js
// switches between the views and starts everything; they share `window.edgeflix`.
// `?title=<id>&autoplay=1` starts a title as soon as the viewer is signed in (tests).
//
// Playback and renewal both send `Authorization: Bearer <access token>`. The access
// token is refreshed with the refresh token (POST /api/v1/sessions/refresh) shortly
// before it expires, and once more when the API answers 401; only when that fails
// does the viewer have to sign in again.
//
// Grants last as long as the viewing: the player renews the cookies at the
// grant's `renew_after` (a timer that also runs while paused), before any
// request once that time has passed (a tab whose timers slept), and once when
// a playlist or segment answers 403, retrying that load after the renewal. A
// renewal refused with 403 (past the renewal window) starts a new play.
//
// A play holds one of the plan's streams for its profile: a play refused with 409
// (every stream in use by other profiles) says so, a renewal refused with 409
// (this profile started another play elsewhere) stops this one, and the player
// releases the stream (POST .../playback/release, fetch keepalive) when the video
// ends or the page goes away, so another profile can start at once. A released
// play that resumes renews, which claims a stream again.
(function () {
  'use strict';

  var video = document.getElementById('video');
  var statusLine = document.getElementById('status');
  var state = window.edgeflixPlayer = {
    engine: null, title: null, error: null, hls: null,
    grant: null, renewals: 0, plays: 0, renewing: null, signedIn: false, refreshes: 0,
    releases: 0
  };
  var renewTimer = null;
  var RENEWAL_RETRY_MS = 10000;
  var form = document.getElementById('account');
  var field = function (id) { return document.getElementById(id); };
  // The tokens live as long as the tab (sessionStorage), never in a cookie.
  var TOKEN = 'edgeflix.accessToken';
  var REFRESH = 'edgeflix.refreshToken';
  var TOKEN_EXPIRES = 'edgeflix.accessTokenExpiresAt';  // epoch ms
  var TOKEN_MARGIN_MS = 60000;  // refresh this long before the access token expires
  var session = window.sessionStorage;
  var PROFILE = 'edgeflix.profile';  // {"id": ..., "name": ...} of the chosen profile
  var refreshing = null;
  var names = {};  // title id -> display name, filled by browse.js
  // Called by the other files: signedIn() after a sign-in, started(id) when a play starts.
  var hooks = { signedIn: function () {}, started: function () {} };

  function say(text) { statusLine.textContent = text; }

  function fail(text) {
    state.error = text;
    say(text);
  }

  // One API call: JSON body when `body` is given, the bearer token when `token` is.
  function send(method, path, body, token, extraHeaders) {
    var headers = {};
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (token) { headers.Authorization = 'Bearer ' + token; }
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function postJson(path, body, token) { return send('POST', path, body, token); }

  function problem(res, what) {
    return res.json().then(function (body) {
      return new Error(what + ': ' + (body.detail || 'HTTP ' + res.status));
    }, function () { return new Error(what + ': HTTP ' + res.status); });
  }

  var ACCOUNTS_DOWN = 'Sign-in is unavailable right now: please try again in a moment.';

  // The accounts API down (no answer, 5xx) is told apart from a refusal (4xx detail).
  function account(path, body, what) {
    return postJson('/api/v1' + path, body).then(function (res) {
      if (res.status >= 500) { throw new Error(ACCOUNTS_DOWN); }
      if (!res.ok) { return problem(res, what).then(function (e) { throw e; }); }
      return res.status === 204 ? null : res.json();
    }, function () { throw new Error(ACCOUNTS_DOWN); });
  }

  function keepTokens(tokens) {
    session.setItem(TOKEN, tokens.access_token);
    if (tokens.refresh_token) { session.setItem(REFRESH, tokens.refresh_token); }
    var lifetime = typeof tokens.expires_in === 'number' ? tokens.expires_in : 3600;
    session.setItem(TOKEN_EXPIRES, String(Date.now() + lifetime * 1000));
  }

  function forgetTokens() {
    session.removeItem(TOKEN);
    session.removeItem(REFRESH);
    session.removeItem(TOKEN_EXPIRES);
    session.removeItem(PROFILE);
    showSignedIn();
  }

  // New access token from the refresh token; one refresh at a time. Rejects (and
  // signs the viewer out locally) when there is no refresh token or it is refused.
  function refreshTokens() {
    if (refreshing) { return refreshing; }
    var refreshToken = session.getItem(REFRESH);
    if (!refreshToken) {
      forgetTokens();
      return Promise.reject(new Error('Your session has ended: sign in again.'));
    }
    refreshing = postJson('/api/v1/sessions/refresh', { refresh_token: refreshToken })
      .then(function (res) {
        if (res.status === 400 || res.status === 401) {
          forgetTokens();
          throw new Error('Your session has ended: sign in again.');
        }
        if (!res.ok) { throw new Error('session refresh: HTTP ' + res.status); }
        return res.json();
      }).then(function (tokens) {
        keepTokens(tokens);
        state.refreshes += 1;
        return tokens.access_token;
      });
    var done = function () { refreshing = null; };
    refreshing.then(done, done);
    return refreshing;
  }

  // A current access token: the stored one, refreshed first when it is about to expire.
  function accessToken() {
    var token = session.getItem(TOKEN);
    if (!token) { return Promise.reject(new Error('Sign in to play.')); }
    var expires = Number(session.getItem(TOKEN_EXPIRES) || 0);
    if (expires && Date.now() >= expires - TOKEN_MARGIN_MS) { return refreshTokens(); }
    return Promise.resolve(token);
  }

  // A call as the signed-in viewer; on 401 refresh the access token and try once more
  // (the same request: a PUT keeps its Idempotency-Key in `extraHeaders`).
  function requestSignedIn(method, path, body, extraHeaders) {
    var again = function (token) { return send(method, path, body, token, extraHeaders); };
    return accessToken().then(again).then(function (res) {
      if (res.status !== 401) { return res; }
      return refreshTokens().then(again)
        .then(function (again) {
          if (again.status === 401) {
            forgetTokens();
            throw new Error('Your session has ended: sign in again.');
          }
          return again;
        });
    });
  }

  function postSignedIn(path, body) { return requestSignedIn('POST', path, body); }

  function chosenProfile() {
    try { return JSON.parse(session.getItem(PROFILE) || 'null'); } catch (e) { return null; }
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
    var profile = chosenProfile();
    return postSignedIn('/api/v1/titles/' + encodeURIComponent(id) + '/playback',
      profile ? { profile: profile.id } : {})
      .then(function (res) {
        // A refusal (e.g. a title above the account's plan) says why in problem+json.
        if (!res.ok) { return problem(res, 'Playback').then(function (e) { throw e; }); }
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
    state.renewing = postSignedIn(
      '/api/v1/titles/' + encodeURIComponent(id) + '/playback/renewal',
      { renewal_token: grant.renewal_token }
    ).then(function (res) {
      if (res.status === 403) { return authorise(id); }  // past the window: a new play
      if (res.status === 409) { return stopPlay(res); }  // the stream went elsewhere
      if (!res.ok) { throw new Error('renewal: HTTP ' + res.status); }
      return res.json().then(function (body) {
        state.renewals += 1;
        return takeGrant(id, body);
      });
    }).catch(function (err) {
      clearTimeout(renewTimer);
      // Signed out (the refresh token was refused too): nothing to retry with.
      if (!session.getItem(TOKEN)) { fail(err.message); return null; }
      // The cookies may still be valid for a while: try again soon.
      renewTimer = setTimeout(function () { renewGrant(); }, RENEWAL_RETRY_MS);
      return null;
    }).then(function (result) {
      state.renewing = null;
      return result;
    });
    return state.renewing;
  }

  // A renewal refused with 409: the stream is no longer this play's. Stop, say why.
  function stopPlay(res) {
    clearTimeout(renewTimer);
    state.grant = null;
    video.pause();
    return problem(res, 'Playback').then(function (err) { fail(err.message); return null; });
  }

  // Free the play's stream now rather than when its cookies expire. keepalive lets
  // the request outlive the page (Fetch standard, "keepalive"); the answer is not
  // needed. The grant is kept: a resumed play renews (and claims a stream again).
  function releaseStream() {
    var grant = state.grant;
    var token = session.getItem(TOKEN);
    clearTimeout(renewTimer);
    if (!grant || !token || grant.released) { return; }
    grant.released = true;
    state.releases += 1;
    fetch('/api/v1/titles/' + encodeURIComponent(grant.title) + '/playback/release', {
      method: 'POST',
      keepalive: true,
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ renewal_token: grant.renewal_token })
    }).catch(function () { /* the stream lapses with the cookies anyway */ });
  }

  video.addEventListener('ended', releaseStream);
  window.addEventListener('pagehide', releaseStream);
  // Played again after a release (seeked back after the end, restored from the
  // back-forward cache): claim the stream again before the cookies are needed.
  video.addEventListener('play', function () {
    if (state.grant && state.grant.released) { renewGrant(); }
  });
  window.addEventListener('pageshow', function (event) {
    if (event.persisted && state.grant && state.grant.released) { renewGrant(); }
  });

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

  function credentials() {
    return { email: field('email').value.trim(), password: field('password').value };
  }

  function showSignedIn() {
    state.signedIn = Boolean(session.getItem(TOKEN));
    field('sign-out').hidden = !state.signedIn;
  }

  function signIn() {
    return account('/sessions', credentials(), 'Sign-in').then(function (tokens) {
      keepTokens(tokens);
      showSignedIn();
      say('Signed in. Pick a title.');
      hooks.signedIn();
      autoplay();
    }).catch(function (err) { fail(err.message); });
  }

  function signUp() {
    return account('/accounts', credentials(), 'Sign-up').then(function () {
      say('Account created: enter the emailed code and confirm.');
    }).catch(function (err) { fail(err.message); });
  }

  function confirmSignUp() {
    var body = { email: credentials().email, code: field('code').value.trim() };
    return account('/accounts/confirmation', body, 'Confirmation').then(function () {
      say('Account confirmed: sign in.');
    }).catch(function (err) { fail(err.message); });
  }

  function signOut() {
    releaseStream();
    var token = session.getItem(TOKEN);
    forgetTokens();
    clearTimeout(renewTimer);
    state.grant = null;
    say('Signed out.');
    if (!token) { return Promise.resolve(); }
    return fetch('/api/v1/sessions', {
      method: 'DELETE', headers: { Authorization: 'Bearer ' + token }
    }).catch(function () { /* signed out locally either way */ });
  }

  function play(id) {
    state.title = id;
    state.error = null;
    if (!session.getItem(TOKEN)) { fail('Sign in to play.'); return Promise.resolve(); }
    say('Starting ' + (names[id] || id) + '…');
    return authorise(id).then(function (grant) {
      hooks.started(id);
      attach(grant.manifest_url);
      say('Playing ' + (names[id] || id) + ' (' + state.engine + ')');
      return video.play().catch(function () { /* autoplay may need a click */ });
    }).catch(function (err) { fail(err.message); });
  }

  state.play = play;
  state.renew = renewGrant;
  state.release = releaseStream;
  state.refreshTokens = refreshTokens;
  var params = new URLSearchParams(window.location.search);
  var listed = [];

  var autoplayed = false;

  // Once per page: the sign-in and the catalog's arrival may both ask.
  function autoplay() {
    var wanted = params.get('title');
    if (!autoplayed && state.signedIn && params.get('autoplay') === '1' &&
        (wanted || listed.length)) {
      autoplayed = true;
      play(wanted || listed[0].id);
      return true;
    }
    return false;
  }

  form.addEventListener('submit', function (event) { event.preventDefault(); signIn(); });
  field('sign-up').addEventListener('click', signUp);
  field('confirm').addEventListener('click', confirmSignUp);
  field('sign-out').addEventListener('click', signOut);
  showSignedIn();

  // What browse.js, plans.js and views.js use (not a public interface).
  window.edgeflix = {
    state: state, names: names, hooks: hooks, say: say, fail: fail, play: play,
    problem: problem, requestSignedIn: requestSignedIn, chosenProfile: chosenProfile,
    autoplay: autoplay, release: releaseStream,
    signedIn: function () { return Boolean(session.getItem(TOKEN)); },
    choose: function (profile) { session.setItem(PROFILE, JSON.stringify(profile)); },
    setListed: function (titles) { listed = titles; }
  };
}());
