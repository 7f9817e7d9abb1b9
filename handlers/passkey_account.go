package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
)

// passkeysPage lists the user's passkeys and offers to add one.
func (s *Server) passkeysPage(c echo.Context) error {
	m := views.Passkeys{}
	switch c.QueryParam("done") {
	case "added":
		m.Notice = "The passkey was added."
	case "renamed":
		m.Notice = "The passkey was renamed."
	case "removed":
		m.Notice = "The passkey was removed: it signs in no more."
	}
	return s.renderPasskeys(c, http.StatusOK, m)
}

func (s *Server) renderPasskeys(c echo.Context, status int, m views.Passkeys) error {
	var err error
	if m.Keys, err = s.store.Passkeys(c.Request().Context(), staffUser(c).ID); err != nil {
		return err
	}
	fresh, err := s.reauthFresh(c)
	if err != nil {
		return err
	}
	m.StaffPage = s.staffPage(c, "Passkeys", "")
	m.NeedReauth, m.ReauthMinutes = !fresh, s.reauthMinutes()
	return s.render(c, status, views.PasskeysView(m))
}

// passkeyRegisterBegin answers the options of a new passkey: one the
// authenticator keeps (discoverable, for a sign-in without password),
// none of the user's passkeys again. Only with a recent sign-in: a stolen
// session cookie must not be able to add a way in.
func (s *Server) passkeyRegisterBegin(c echo.Context) error {
	if fresh, err := s.reauthFresh(c); err != nil {
		return err
	} else if !fresh {
		return c.JSON(http.StatusForbidden, map[string]string{"error": "Confirm your password first.",
			"reauth": "/account/reauth?next=/account/passkeys"})
	}
	pu, err := s.passkeyUserOf(c, staffUser(c))
	if err != nil {
		return err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return passkeyJSONError(c, err)
	}
	var exclude []protocol.CredentialDescriptor
	for i := range pu.creds {
		exclude = append(exclude, pu.creds[i].Descriptor())
	}
	opts, session, err := wa.BeginRegistration(pu, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return err
	}
	return s.beginPasskey(c, pu.u.ID, db.PasskeyRegister, opts, session)
}

// passkeyRegister stores the new passkey: the ceremony must be this user's
// and this browser's, the attestation must verify for this origin.
func (s *Server) passkeyRegister(c echo.Context) error {
	u := staffUser(c)
	if fresh, err := s.reauthFresh(c); err != nil {
		return err
	} else if !fresh {
		return reauthRedirect(c, "/account/passkeys")
	}
	refused := func(msg string) error {
		s.log.Warn("passkey registration refused", "user_id", u.ID)
		return s.renderPasskeys(c, http.StatusUnprocessableEntity, views.Passkeys{Error: msg})
	}
	userID, session, err := s.takePasskey(c, db.PasskeyRegister)
	if err != nil || userID != u.ID {
		return refused(db.ErrorMessage(db.ErrPasskeyCeremony))
	}
	name, errs := db.ValidPasskeyName(c.Request().PostFormValue("name"))
	if errs != nil {
		return refused(errs["name"])
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credentialField(c))
	if err != nil {
		return refused(db.ErrorMessage(db.ErrPasskeyCeremony))
	}
	pu, err := s.passkeyUserOf(c, u)
	if err != nil {
		return err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	cred, err := wa.CreateCredential(pu, *session, parsed)
	if err != nil {
		return refused(db.ErrorMessage(db.ErrPasskeyCeremony))
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	codes, err := s.store.AddPasskey(c.Request().Context(), u.ID, cred.ID, name, string(raw), actor(c))
	if f := db.ErrorFields(err); f != nil {
		return refused(f["name"])
	} else if err != nil {
		return err
	}
	s.log.Info("passkey added", "user_id", u.ID)
	if len(codes) > 0 {
		return s.renderPasskeys(c, http.StatusOK, views.Passkeys{Notice: "The passkey was added.", Codes: codes})
	}
	return c.Redirect(http.StatusSeeOther, "/account/passkeys?done=added")
}

func passkeyID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}

// renamePasskey and removePasskey act on the user's own passkeys only
// (db: another user's is not found).
func (s *Server) renamePasskey(c echo.Context) error {
	id, err := passkeyID(c)
	if err != nil {
		return err
	}
	err = s.store.RenamePasskey(c.Request().Context(), staffUser(c).ID, id, c.Request().PostFormValue("name"), actor(c))
	if f := db.ErrorFields(err); f != nil {
		return s.renderPasskeys(c, http.StatusUnprocessableEntity, views.Passkeys{Error: f["name"]})
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/passkeys?done=renamed")
}

func (s *Server) removePasskey(c echo.Context) error {
	id, err := passkeyID(c)
	if err != nil {
		return err
	}
	if err := s.store.DeletePasskey(c.Request().Context(), staffUser(c).ID, id, actor(c)); err != nil {
		return err
	}
	s.log.Info("passkey removed", "user_id", staffUser(c).ID)
	return c.Redirect(http.StatusSeeOther, "/account/passkeys?done=removed")
}
