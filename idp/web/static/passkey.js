// Passkeys: ask the browser for a credential and post its JSON with the form.
// Forms marked data-passkey="register|verify|login" carry the server's options as JSON;
// a login form marked data-conditional also offers passkeys in the username autofill.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the forms stay hidden; the page says passkeys need a newer browser
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials)
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      allowCredentials: withIds(options.allowCredentials)
    });
  }

  function asJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) { json.response.userHandle = toText(response.userHandle); }
    }
    return json;
  }

  function send(form, credential) {
    form.querySelector("input[name=credential]").value = JSON.stringify(asJSON(credential));
    form.submit();
  }

  function fail(form) {
    var box = form.querySelector(".passkey-error");
    box.textContent = form.dataset.failed;
    box.hidden = false;
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var options = JSON.parse(form.dataset.options);
    var conditional = null;
    form.hidden = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (conditional) { conditional.abort(); conditional = null; }
      var request = form.dataset.passkey === "register"
        ? navigator.credentials.create({ publicKey: creationOptions(options) })
        : navigator.credentials.get({ publicKey: requestOptions(options) });
      request.then(function (credential) { send(form, credential); },
                   function () { fail(form); });
    });

    if (form.hasAttribute("data-conditional") &&
        PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) { return; }
        conditional = new AbortController();
        navigator.credentials.get({
          mediation: "conditional",
          signal: conditional.signal,
          publicKey: requestOptions(options)
        }).then(function (credential) { send(form, credential); }, function () {});
      });
    }
  });
})();
