// passkey.js asks the authenticator for passkeys (WebAuthn). Forms marked
// data-passkey stay hidden without JavaScript or WebAuthn; with both, the
// form's button first posts the form to data-begin, which answers the
// options, then puts the authenticator's answer in the form's "credential"
// field and submits the form as any other: the server answers with a page.
(function () {
  "use strict";
  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(o) {
    o.challenge = b64uToBuf(o.challenge);
    o.user.id = b64uToBuf(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
    return o;
  }
  function requestOptions(o) {
    o.challenge = b64uToBuf(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
    return o;
  }
  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = bufToB64u(r.userHandle); }
    }
    return JSON.stringify(out);
  }
  function say(form, msg) {
    var el = form.querySelector("[data-passkey-error]");
    if (el) { el.textContent = msg; el.hidden = !msg; }
  }
  function start(form) {
    var kind = form.getAttribute("data-passkey");
    say(form, "");
    fetch(form.getAttribute("data-begin"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: form.elements.csrf.value }).toString()
    }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) {
          if (body.reauth) { window.location.assign(body.reauth); }
          throw new Error(body.error || "The passkey could not be started.");
        }
        return body;
      });
    }).then(function (opts) {
      if (kind === "register") {
        return navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(opts.publicKey) });
    }).then(function (cred) {
      form.elements.credential.value = credentialJSON(cred);
      form.submit();
    }).catch(function (err) {
      say(form, err && err.name === "NotAllowedError" ? "The passkey was not used. Try again." : String(err.message || err));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("submit", function (ev) {
        if (!form.elements.credential.value) {
          ev.preventDefault();
          start(form);
        }
      });
    });
  });
})();
