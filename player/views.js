// edgeflix player, the views: #account (sign-up, confirmation, sign-in), #profiles,
// #browse (the rows and the video) and #plan, switched by the location hash. Loaded
// last: it loads the catalog, shows the first view and starts `?title=…&autoplay=1`.
(function () {
  'use strict';

  var E = window.edgeflix;
  var who = document.getElementById('who');
  var catalogReady = null;
  var wantsAutoplay = new URLSearchParams(window.location.search).get('autoplay') === '1';

  function show(name) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-view]'), function (v) {
      v.hidden = v.dataset.view !== name;
    });
    document.querySelector('header nav').hidden = !E.signedIn();
    var profile = E.chosenProfile();
    who.textContent = E.signedIn() && profile ? profile.name : '';
  }

  function route() {
    var wanted = window.location.hash.replace('#', '');
    if (!E.signedIn()) {
      wanted = 'account';
    } else if (wanted !== 'profiles' && wanted !== 'plan' && wanted !== 'browse') {
      wanted = E.chosenProfile() ? 'browse' : 'profiles';
    }
    show(wanted);
    if (wanted !== 'browse') {  // leaving the browse page closes the player, as a TV app does
      document.getElementById('video').pause();
      E.release();  // its stream is free for another profile at once
      document.getElementById('stage').className = '';
    }
    if (wanted === 'profiles') { E.renderProfiles(); }
    if (wanted === 'plan') { E.renderPlan(); }
    if (wanted === 'browse') {
      catalogReady.then(E.renderBrowse, function (err) {
        document.getElementById('browse-note').textContent =
          'The catalog is unavailable right now (' + err.message + ').';
      });
    }
  }

  function go(name) {
    if (window.location.hash === '#' + name) { route(); } else { window.location.hash = '#' + name; }
  }

  E.hooks.signedIn = function () { go(wantsAutoplay ? 'browse' : 'profiles'); };
  window.addEventListener('hashchange', route);
  document.getElementById('sign-out').addEventListener('click', function () { go('account'); });

  catalogReady = E.loadCatalog();
  route();
  if (!E.signedIn()) { E.say('Sign in (or sign up) to play.'); }
  catalogReady.then(function () {
    var onBrowse = !/profiles|plan/.test(window.location.hash) && E.chosenProfile();
    if (!E.autoplay() && E.signedIn() && onBrowse) { E.say('Pick a title.'); }
  }, function (err) { E.fail(err.message); });
}());
