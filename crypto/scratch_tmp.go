package crypto

import (
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
	"github.com/zalando/go-keyring"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
	"golang.org/x/text/unicode/norm"
)

var _ = pgp.GenerateKey
var _ = keyring.Get
var _ = argon2.IDKey
var _ = hkdf.New
var _ = norm.NFD
