package auth

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of JWTConfig.
const (
	// DefaultLeeway matches the default ClockSkew of ASP.NET Core's JWT
	// bearer authentication.
	DefaultLeeway = 5 * time.Minute
	// DefaultMaxTokenBytes bounds a token before any decoding.
	DefaultMaxTokenBytes = 8 << 10
	// DefaultUserIDClaim is the claim that holds Identity.UserID.
	DefaultUserIDClaim = "sub"
	// DefaultNameClaim is the claim that holds Identity.Name.
	DefaultNameClaim = "name"
	// MinRSAKeyBits is the smallest RSA modulus NewJWT accepts.
	MinRSAKeyBits = 2048
)

// JWTConfig configures a JWT. The zero value of every field but the keys
// means the documented default.
//
// Verification keys come from exactly one of HMACKey, PublicKey, Keyfunc
// and SigningKey; SigningKey may be combined with PublicKey (then they must
// form a pair) or with Keyfunc (verification through Keyfunc, issuing with
// SigningKey).
type JWTConfig struct {
	// HMACKey is the shared secret of the HS256, HS384 and HS512
	// algorithms, used both to verify and to issue tokens. RFC 7518 requires
	// a key at least as long as the hash: 32 bytes for HS256, 48 for HS384,
	// 64 for HS512. A shorter key is a configuration error, and the
	// algorithms that a key allows by default are those its length permits.
	HMACKey []byte
	// PublicKey verifies signatures: an *rsa.PublicKey of at least 2048 bits
	// (RS256, RS384, RS512, PS256, PS384, PS512), an *ecdsa.PublicKey on
	// P-256, P-384 or P-521 (ES256, ES384 or ES512 respectively), or an
	// ed25519.PublicKey (EdDSA).
	PublicKey crypto.PublicKey
	// Keyfunc returns the verification key of each token, for key rotation
	// or JWKS lookups done by the application. It runs for tokens whose
	// algorithm is in Algorithms, before their signature is checked, so
	// nothing in the token is trustworthy yet. It must return a key of the
	// type PublicKey or HMACKey would hold for the token's algorithm
	// ([]byte only for HS algorithms), or a jwt.VerificationKeySet.
	Keyfunc jwt.Keyfunc
	// SigningKey lets Issue sign tokens with a private key:
	// an *rsa.PrivateKey, an *ecdsa.PrivateKey or an ed25519.PrivateKey.
	// When it is the only key, its public key verifies tokens. Issue signs
	// with the first algorithm of Algorithms that fits the key.
	SigningKey crypto.Signer

	// Algorithms lists the accepted "alg" values, spelled as in RFC 7518
	// ("HS256", "RS256", "ES256", "EdDSA" ...). By default, every
	// algorithm that fits the key (in the order given for HMACKey and
	// PublicKey above); required with Keyfunc. "none" is never accepted,
	// and every algorithm must fit the configured key.
	Algorithms []string

	// Issuer, if set, must equal the "iss" claim; Issue sets it.
	Issuer string
	// Audience, if set, must be the "aud" claim or one of its elements;
	// Issue sets it.
	Audience string

	// UserIDClaim names the claim that holds Identity.UserID. Default
	// "sub". A token in which it is missing or not a non-empty string is
	// rejected.
	UserIDClaim string
	// NameClaim names the claim that holds Identity.Name. Default "name";
	// a missing or non-string claim leaves the name empty.
	NameClaim string

	// Leeway is the allowance for clock skew when checking "exp", "nbf"
	// and "iat". Default 5 minutes, ASP.NET Core's default ClockSkew; a
	// negative value means no allowance.
	Leeway time.Duration
	// MaxTokenBytes rejects longer tokens before they are decoded. Default
	// 8 KiB.
	MaxTokenBytes int
	// AllowNoExpiry accepts tokens without an "exp" claim. By default they
	// are rejected, as ASP.NET Core does (RequireExpirationTime).
	AllowNoExpiry bool

	// Now returns the current time. Default time.Now; set it in tests.
	Now func() time.Time
}

// JWT authenticates requests by JSON Web Tokens (RFC 7519) signed with JWS
// (RFC 7515), and issues such tokens. It is safe for concurrent use.
//
// A token is accepted when its "alg" is one of the configured algorithms,
// its signature verifies, it carries no "crit" header, its "exp" (required
// unless AllowNoExpiry), "nbf" and "iat" are numbers of seconds between 1970
// and 9999 and are met within the leeway ("iat" must not lie in the
// future), "iss" and "aud" match the configuration when it sets them, and
// the user id claim is a non-empty string. Times are compared in whole
// seconds.
type JWT struct {
	parser        *jwt.Parser
	verifyKey     any         // with Keyfunc nil
	keyfunc       jwt.Keyfunc // the application's, or nil
	signMethod    jwt.SigningMethod
	signKey       any
	issuer        string
	audience      string
	userIDClaim   string
	nameClaim     string
	maxTokenBytes int
	allowNoExpiry bool
	now           func() time.Time
}

// NewJWT checks cfg and returns a JWT. It fails when there is no key or more
// than one source of keys, when a key is too weak or of an unsupported type,
// or when an algorithm is unknown, "none", or does not fit the key.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	j := &JWT{
		keyfunc:       cfg.Keyfunc,
		issuer:        cfg.Issuer,
		audience:      cfg.Audience,
		userIDClaim:   cmp.Or(cfg.UserIDClaim, DefaultUserIDClaim),
		nameClaim:     cmp.Or(cfg.NameClaim, DefaultNameClaim),
		maxTokenBytes: cfg.MaxTokenBytes,
		allowNoExpiry: cfg.AllowNoExpiry,
		now:           cfg.Now,
	}
	if j.maxTokenBytes < 0 {
		return nil, fmt.Errorf("auth: negative MaxTokenBytes %d", cfg.MaxTokenBytes)
	}
	if j.maxTokenBytes == 0 {
		j.maxTokenBytes = DefaultMaxTokenBytes
	}
	if j.now == nil {
		j.now = time.Now
	}
	leeway := cfg.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}

	algs, err := j.setKeys(cfg)
	if err != nil {
		return nil, err
	}

	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(j.now),
		jwt.WithIssuedAt(),
	}
	if !cfg.AllowNoExpiry {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	j.parser = jwt.NewParser(opts...)
	return j, nil
}

// setKeys checks the keys and algorithms of cfg, stores the verification
// and signing keys in j, and returns the accepted algorithms.
func (j *JWT) setKeys(cfg JWTConfig) ([]string, error) {
	sources := 0
	for _, set := range []bool{cfg.HMACKey != nil, cfg.PublicKey != nil, cfg.Keyfunc != nil} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return nil, errors.New("auth: set only one of HMACKey, PublicKey and Keyfunc")
	}
	if sources == 0 && cfg.SigningKey == nil {
		return nil, errors.New("auth: no key: set HMACKey, PublicKey, Keyfunc or SigningKey")
	}
	if cfg.SigningKey != nil && cfg.HMACKey != nil {
		return nil, errors.New("auth: SigningKey cannot be combined with HMACKey")
	}
	if slices.Contains(cfg.Algorithms, "none") {
		return nil, errors.New(`auth: algorithm "none" is never accepted`)
	}
	for _, alg := range cfg.Algorithms {
		if _, ok := algorithms[alg]; !ok {
			return nil, fmt.Errorf("auth: unknown algorithm %q", alg)
		}
	}

	var signingAlgs []string // algorithms that fit SigningKey
	if cfg.SigningKey != nil {
		switch k := cfg.SigningKey.(type) {
		case *rsa.PrivateKey:
			if k == nil {
				return nil, errors.New("auth: nil SigningKey")
			}
		case *ecdsa.PrivateKey:
			if k == nil {
				return nil, errors.New("auth: nil SigningKey")
			}
		case ed25519.PrivateKey:
			if len(k) != ed25519.PrivateKeySize {
				return nil, fmt.Errorf("auth: Ed25519 private key of %d bytes", len(k))
			}
		default:
			return nil, fmt.Errorf("auth: unsupported SigningKey type %T", cfg.SigningKey)
		}
		pub := cfg.SigningKey.Public()
		var err error
		if signingAlgs, err = keyAlgorithms(pub); err != nil {
			return nil, fmt.Errorf("auth: SigningKey: %w", err)
		}
		j.signKey = cfg.SigningKey
		switch {
		case cfg.PublicKey != nil:
			eq, ok := cfg.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !eq.Equal(pub) {
				return nil, errors.New("auth: PublicKey is not the public key of SigningKey")
			}
		case cfg.Keyfunc == nil:
			j.verifyKey = pub
		}
	}

	var algs []string
	switch {
	case cfg.Keyfunc != nil:
		if len(cfg.Algorithms) == 0 {
			return nil, errors.New("auth: Keyfunc requires Algorithms")
		}
		algs = slices.Clone(cfg.Algorithms)
	default:
		key := j.verifyKey
		if cfg.HMACKey != nil {
			key = slices.Clone(cfg.HMACKey)
			j.signKey = key
		}
		if cfg.PublicKey != nil {
			key = cfg.PublicKey
		}
		fits, err := keyAlgorithms(key)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		j.verifyKey = key
		if len(cfg.Algorithms) == 0 {
			algs = fits
			break
		}
		for _, alg := range cfg.Algorithms {
			if !slices.Contains(fits, alg) {
				return nil, misfit(alg, key)
			}
		}
		algs = slices.Clone(cfg.Algorithms)
	}

	if j.signKey != nil {
		if cfg.HMACKey != nil {
			signingAlgs = algs
		}
		i := slices.IndexFunc(algs, func(alg string) bool { return slices.Contains(signingAlgs, alg) })
		if i < 0 {
			return nil, errors.New("auth: no algorithm of Algorithms fits SigningKey")
		}
		j.signMethod = jwt.GetSigningMethod(algs[i])
	}
	return algs, nil
}

// algorithm describes a JWS algorithm: its key family and, for HMAC, the
// shortest key (RFC 7518 §3.2).
type algorithm struct {
	family  string
	minHMAC int
}

// algorithms are the JWS algorithms JWT knows (RFC 7518 and RFC 8037).
var algorithms = map[string]algorithm{
	"HS256": {family: "HMAC", minHMAC: 32},
	"HS384": {family: "HMAC", minHMAC: 48},
	"HS512": {family: "HMAC", minHMAC: 64},
	"RS256": {family: "RSA"},
	"RS384": {family: "RSA"},
	"RS512": {family: "RSA"},
	"PS256": {family: "RSA"},
	"PS384": {family: "RSA"},
	"PS512": {family: "RSA"},
	"ES256": {family: "ECDSA"},
	"ES384": {family: "ECDSA"},
	"ES512": {family: "ECDSA"},
	"EdDSA": {family: "Ed25519"},
}

// keyAlgorithms returns the algorithms, in order of preference, that can
// verify with key, or why key is unusable (without the package prefix).
func keyAlgorithms(key any) ([]string, error) {
	switch k := key.(type) {
	case []byte:
		var algs []string
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			if len(k) >= algorithms[alg].minHMAC {
				algs = append(algs, alg)
			}
		}
		if algs == nil {
			return nil, fmt.Errorf("HMACKey of %d bytes is too short: HS256 needs at least 32", len(k))
		}
		return algs, nil
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < MinRSAKeyBits {
			return nil, fmt.Errorf("RSA key smaller than %d bits", MinRSAKeyBits)
		}
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil || k.X == nil || k.Y == nil {
			return nil, errors.New("incomplete ECDSA key")
		}
		var alg string
		switch k.Curve {
		case elliptic.P256():
			alg = "ES256"
		case elliptic.P384():
			alg = "ES384"
		case elliptic.P521():
			alg = "ES512"
		default:
			return nil, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
		}
		// ECDH fails unless the point lies on the curve.
		if _, err := k.ECDH(); err != nil {
			return nil, fmt.Errorf("unusable ECDSA key: %w", err)
		}
		return []string{alg}, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 public key of %d bytes", len(k))
		}
		return []string{"EdDSA"}, nil
	case crypto.Signer:
		return nil, fmt.Errorf("PublicKey holds a private key (%T); set it as SigningKey", key)
	}
	return nil, fmt.Errorf("unsupported key type %T", key)
}

// misfit explains why alg cannot be used with key, which keyAlgorithms
// accepted.
func misfit(alg string, key any) error {
	a := algorithms[alg]
	if k, ok := key.([]byte); ok && a.family == "HMAC" {
		return fmt.Errorf("auth: %s needs an HMACKey of at least %d bytes, not %d", alg, a.minHMAC, len(k))
	}
	return fmt.Errorf("auth: algorithm %s does not fit a key of type %T", alg, key)
}

// Authenticate returns the identity of the bearer token of r (see
// TokenFromRequest). A request without a token returns ErrNoToken.
func (j *JWT) Authenticate(r *http.Request) (*Identity, error) {
	return j.Parse(TokenFromRequest(r))
}

// Parse verifies token and returns its identity. An empty token returns
// ErrNoToken; every rejection wraps ErrInvalidToken, and also
// ErrTokenExpired when an otherwise valid token has expired. The error also
// wraps the jwt package's error, when there is one.
func (j *JWT) Parse(token string) (*Identity, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > j.maxTokenBytes {
		return nil, &invalidTokenError{cause: fmt.Errorf("token of %d bytes exceeds the limit of %d", len(token), j.maxTokenBytes)}
	}
	claims := make(claimSet)
	if _, err := j.parser.ParseWithClaims(token, &claims, j.key); err != nil {
		return nil, &invalidTokenError{cause: err, expired: errors.Is(err, jwt.ErrTokenExpired)}
	}
	userID, _ := claims[j.userIDClaim].(string)
	if userID == "" {
		return nil, &invalidTokenError{cause: fmt.Errorf("claim %q is missing or not a non-empty string", j.userIDClaim)}
	}
	id := &Identity{UserID: userID, Claims: claims}
	id.Name, _ = claims[j.nameClaim].(string)
	// The validator has already rejected an "exp" that is not a date.
	if exp, _ := claims.GetExpirationTime(); exp != nil {
		id.Expires = exp.Time
	}
	return id, nil
}

// key is the jwt.Keyfunc of the parser: it runs after the algorithm has
// been checked against the accepted ones.
func (j *JWT) key(t *jwt.Token) (any, error) {
	// RFC 7515 §4.1.11: extensions listed in "crit" must be understood, and
	// this implementation understands none.
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New(`unsupported "crit" header parameter`)
	}
	if j.keyfunc != nil {
		return j.keyfunc(t)
	}
	return j.verifyKey, nil
}

// claimSet holds the claims of a token, as jwt.MapClaims does, but reads
// "exp", "nbf" and "iat" only when they are numbers of seconds between 1970
// and 9999: jwt.MapClaims converts any float64 to int64, and what an
// out-of-range conversion yields depends on the platform.
type claimSet map[string]any

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

var _ jwt.Claims = (*claimSet)(nil)

func (c *claimSet) GetExpirationTime() (*jwt.NumericDate, error) { return c.date("exp") }
func (c *claimSet) GetNotBefore() (*jwt.NumericDate, error)      { return c.date("nbf") }
func (c *claimSet) GetIssuedAt() (*jwt.NumericDate, error)       { return c.date("iat") }
func (c *claimSet) GetIssuer() (string, error)                   { return jwt.MapClaims(*c).GetIssuer() }
func (c *claimSet) GetSubject() (string, error)                  { return jwt.MapClaims(*c).GetSubject() }
func (c *claimSet) GetAudience() (jwt.ClaimStrings, error)       { return jwt.MapClaims(*c).GetAudience() }

func (c *claimSet) date(name string) (*jwt.NumericDate, error) {
	v, ok := (*c)[name]
	if !ok {
		return nil, nil
	}
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a number", jwt.ErrInvalidType, name)
	}
	if !(f >= 0 && f <= maxNumericDate) {
		return nil, fmt.Errorf("%w: %s is out of range", jwt.ErrInvalidType, name)
	}
	sec, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9))), nil
}

// invalidTokenError is a rejected token.
type invalidTokenError struct {
	cause   error
	expired bool
}

func (e *invalidTokenError) Error() string {
	return ErrInvalidToken.Error() + ": " + e.cause.Error()
}

func (e *invalidTokenError) Unwrap() []error {
	if e.expired {
		return []error{ErrInvalidToken, ErrTokenExpired, e.cause}
	}
	return []error{ErrInvalidToken, e.cause}
}

// Issue returns a signed token for userID, for tests, examples, token
// endpoints and the conformance server. It needs HMACKey or SigningKey.
//
// The token carries userID in the user id claim, "iat" (now), "exp"
// (now + ttl) when ttl is positive, "iss" and "aud" when the configuration
// sets them, and the claims of extra, which must not include any of those.
// A ttl of 0 issues a token without expiry, which needs AllowNoExpiry.
func (j *JWT) Issue(userID string, ttl time.Duration, extra map[string]any) (string, error) {
	if j.signMethod == nil {
		return "", errors.New("auth: cannot issue tokens without HMACKey or SigningKey")
	}
	if userID == "" {
		return "", errors.New("auth: empty user id")
	}
	if ttl < 0 || ttl == 0 && !j.allowNoExpiry {
		return "", fmt.Errorf("auth: ttl %v: tokens must expire unless AllowNoExpiry is set", ttl)
	}
	claims := make(jwt.MapClaims, len(extra)+5)
	now := j.now()
	claims[j.userIDClaim] = userID
	claims["iat"] = jwt.NewNumericDate(now)
	if ttl > 0 {
		claims["exp"] = jwt.NewNumericDate(now.Add(ttl))
	}
	if j.issuer != "" {
		claims["iss"] = j.issuer
	}
	if j.audience != "" {
		claims["aud"] = j.audience
	}
	for name, value := range extra {
		if _, set := claims[name]; set || name == "exp" {
			return "", fmt.Errorf("auth: extra claim %q is set by Issue", name)
		}
		claims[name] = value
	}
	token, err := jwt.NewWithClaims(j.signMethod, claims).SignedString(j.signKey)
	if err != nil {
		return "", fmt.Errorf("auth: signing token: %w", err)
	}
	if len(token) > j.maxTokenBytes {
		return "", fmt.Errorf("auth: issued token of %d bytes exceeds MaxTokenBytes %d", len(token), j.maxTokenBytes)
	}
	return token, nil
}
