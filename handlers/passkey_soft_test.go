package handlers_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
)

// softPasskey is an authenticator inside the test, for sign-ins without a
// browser: a P-256 key of one account, registered straight in the
// database, that answers the portal's challenges as a platform
// authenticator does (user present and verified, a counter that goes up).
// TestBrowserPasskeys covers the real ceremony in Chromium.
type softPasskey struct {
	key    *ecdsa.PrivateKey
	id     []byte
	userID int64
	count  uint32
}

func newSoftPasskey(t testing.TB, p *portal, u *db.User) *softPasskey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	xy := pub.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: xy[1:33], YCoord: xy[33:]})
	if err != nil {
		t.Fatal(err)
	}
	k := &softPasskey{key: key, id: []byte("soft-" + u.Email), userID: u.ID}
	raw, err := json.Marshal(webauthn.Credential{ID: k.id, PublicKey: cose, AttestationType: "none",
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DB.AddPasskey(context.Background(), u.ID, k.id, "Soft key", string(raw), db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	return k
}

// assert answers the options a ceremony's start sent (its JSON) as the
// credential field static/passkey.js would post.
func (k *softPasskey) assert(t testing.TB, p *portal, options string) string {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(options), &opts); err != nil || opts.PublicKey.Challenge == "" {
		t.Fatalf("options without a challenge: %v %s", err, options)
	}
	origin := p.Config.BaseURL.Scheme + "://" + p.Config.BaseURL.Host
	clientData, err := json.Marshal(map[string]any{"type": "webauthn.get", "challenge": opts.PublicKey.Challenge, "origin": origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(p.Config.BaseURL.Hostname()))
	k.count++
	authData := binary.BigEndian.AppendUint32(append(rp[:], 0x05), k.count) // user present, user verified
	cd := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(authData, cd[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	out, err := json.Marshal(map[string]any{"id": b64(k.id), "rawId": b64(k.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64(clientData), "authenticatorData": b64(authData), "signature": b64(sig),
			"userHandle": b64(binary.BigEndian.AppendUint64(nil, uint64(k.userID)))}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
