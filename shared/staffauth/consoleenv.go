package staffauth

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/frontdesk/frontdesk/shared/env"
)

// ConsoleEnv is the console's sign-in as a staff function's environment
// describes it (ReadConsole); Build turns it into a Console.
type ConsoleEnv struct {
	// Issuer is the OIDC issuer the staff API trusts (STAFF_ISSUER).
	Issuer string
	// ClientID is the console's app client, a public client: PKCE
	// protects the code, so no client secret is kept (CONSOLE_CLIENT_ID).
	ClientID string
	// RedirectURL is the callback registered with the app client
	// (CONSOLE_REDIRECT_URL); empty, it is https://<the request's
	// host>/console/callback.
	RedirectURL string
	// LogoutURL is where signing out goes next (CONSOLE_LOGOUT_URL), so
	// that the issuer ends its own session too; empty for none.
	LogoutURL string
	// SessionSecret names the Secrets Manager secret holding the session
	// keys, comma-separated, newest first (CONSOLE_SESSION_SECRET). It is
	// read at cold start through Parameter Store's
	// /aws/reference/secretsmanager/ path, never into the environment.
	SessionSecret string
	// Local turns on the local sign-in page offering LocalStaff, over
	// plain http on a loopback address (CONSOLE_LOCAL_SIGN_IN, off unless
	// local/overrides.yaml turns it on). The issuer is not used then.
	Local bool
	// Claims name the ID token's role and queue claims.
	Claims Claims
	// SSM is the Parameter Store endpoint override (AWS_ENDPOINT_URL_SSM).
	SSM *string
}

// ReadConsole reads the console's sign-in through e: STAFF_ISSUER,
// CONSOLE_CLIENT_ID, CONSOLE_REDIRECT_URL, CONSOLE_LOGOUT_URL,
// CONSOLE_SESSION_SECRET and CONSOLE_LOCAL_SIGN_IN, with claims naming the
// role and queue claims. Every variable is read whichever way staff sign
// in; the issuer and client are required unless the local sign-in is on.
func ReadConsole(e *env.Reader, claims Claims) ConsoleEnv {
	c := ConsoleEnv{
		Issuer:        e.Optional("STAFF_ISSUER", ""),
		ClientID:      e.Optional("CONSOLE_CLIENT_ID", ""),
		RedirectURL:   e.Optional("CONSOLE_REDIRECT_URL", ""),
		LogoutURL:     e.Optional("CONSOLE_LOGOUT_URL", ""),
		SessionSecret: e.String("CONSOLE_SESSION_SECRET"),
		Local:         e.Switch("CONSOLE_LOCAL_SIGN_IN", false),
		Claims:        claims,
		SSM:           e.Endpoint("SSM"),
	}
	if !c.Local {
		if c.Issuer == "" {
			e.Fail("STAFF_ISSUER", "is not set: the console signs staff in with the issuer the staff API trusts")
		} else if !webURL(c.Issuer) {
			e.Fail("STAFF_ISSUER", "%q is not an http(s) URL", c.Issuer)
		}
		if c.ClientID == "" {
			e.Fail("CONSOLE_CLIENT_ID", "is not set: the console signs in as an app client of the issuer")
		}
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || !webURL(c.RedirectURL) || u.Path != CallbackPath {
			e.Fail("CONSOLE_REDIRECT_URL", "%q is not an http(s) URL ending in %s", c.RedirectURL, CallbackPath)
		}
	}
	if c.LogoutURL != "" && !webURL(c.LogoutURL) {
		e.Fail("CONSOLE_LOGOUT_URL", "%q is not an http(s) URL", c.LogoutURL)
	}
	return c
}

func webURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Build reads the session keys from their secret and returns the
// console's sign-in. It makes no call to the issuer: its discovery
// document is read at the first sign-in, so a cold start does not depend
// on the issuer being reachable.
func (c ConsoleEnv) Build(ctx context.Context, a aws.Config) (*Console, error) {
	p, err := ssm.NewFromConfig(a, func(o *ssm.Options) { o.BaseEndpoint = c.SSM }).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/aws/reference/secretsmanager/" + c.SessionSecret), WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("CONSOLE_SESSION_SECRET %s: %w", c.SessionSecret, err)
	}
	secrets, err := env.ParseKeys(aws.ToString(p.Parameter.Value), MinSecret)
	if err != nil {
		return nil, fmt.Errorf("CONSOLE_SESSION_SECRET %s: %w", c.SessionSecret, err)
	}
	sessions, err := NewSessions(secrets)
	if err != nil {
		return nil, err
	}
	cfg := ConsoleConfig{Sessions: sessions, Claims: c.Claims}
	if c.Local {
		sessions.AllowHTTP = true
		cfg.Dev = LocalStaff
	} else {
		cfg.Issuer, cfg.ClientID, cfg.RedirectURL, cfg.LogoutURL = c.Issuer, c.ClientID, c.RedirectURL, c.LogoutURL
	}
	return NewConsole(ctx, cfg)
}
