// Clientside callbacks live here, not inline, so the Content-Security-Policy needs no 'unsafe-inline'.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  shell: {
    toggleNavbar: function (clicks, isOpen) { return clicks ? !isOpen : isOpen; },
  },
});
