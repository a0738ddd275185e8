// Package gateway plays API Gateway's HTTP API for local runs: a route
// from template.yaml (method and path, {name} parameters) turns each
// request into the payload-2.0 event Lambda receives, invokes the
// function with it, and writes the function's response back.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Invoker runs one event through a function.
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// MaxBody is the largest request body API Gateway passes on (10 MB).
const MaxBody = 10 << 20

// Pattern returns the net/http pattern for an HTTP API route: "GET /"
// matches the root only, as API Gateway's does; a greedy {name+} at the
// end matches the rest of the path (AuthorizedRoute refuses an empty
// rest); ANY matches every method.
func Pattern(method, path string) string {
	if path == "/" {
		path = "/{$}"
	}
	segs := strings.Split(path, "/")
	if last := segs[len(segs)-1]; strings.HasPrefix(last, "{") && strings.HasSuffix(last, "+}") {
		segs[len(segs)-1] = strings.TrimSuffix(last, "+}") + "...}"
		path = strings.Join(segs, "/")
	}
	if strings.EqualFold(method, "ANY") {
		return path
	}
	return strings.ToUpper(method) + " " + path
}

// Route returns the handler for one route, as method and path appear in
// the template.
func Route(method, path string, invoke Invoker) http.Handler {
	return AuthorizedRoute(method, path, invoke, nil)
}

// Authorizer checks a request's bearer token as the HTTP API's JWT
// authorizer does and returns its claims, flattened as API Gateway passes
// them to the function.
type Authorizer func(*http.Request) (map[string]string, error)

// AuthorizedRoute is Route behind a JWT authorizer (none when authorize is
// nil): a request it refuses never reaches the function and is answered
// 401 {"message":"Unauthorized"}, as API Gateway answers; the claims of
// one it lets through ride in the event's requestContext.authorizer.jwt.
// A greedy {name+} needs at least one character, as API Gateway's does:
// /console/ matches no route ANY /console/{proxy+} and is answered 404
// {"message":"Not Found"}.
func AuthorizedRoute(method, path string, invoke Invoker, authorize Authorizer) http.Handler {
	routeKey := strings.ToUpper(method) + " " + path
	greedy := ""
	if last := path[strings.LastIndex(path, "/")+1:]; strings.HasPrefix(last, "{") && strings.HasSuffix(last, "+}") {
		greedy = strings.TrimSuffix(strings.TrimPrefix(last, "{"), "+}")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if greedy != "" && r.PathValue(greedy) == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		var claims map[string]string
		if authorize != nil {
			var err error
			if claims, err = authorize(r); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("WWW-Authenticate", "Bearer")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
			return
		}
		ev := Event(r, routeKey, path, body)
		if authorize != nil {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: nil},
			}
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
		out, err := invoke(r.Context(), payload)
		if err != nil {
			// What API Gateway answers when the integration fails.
			slog.ErrorContext(r.Context(), "function failed", "route", routeKey, "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"message":"Internal Server Error"}`)
			return
		}
		write(w, out)
	})
}

// Event is the payload-2.0 event for r on a route.
func Event(r *http.Request, routeKey, path string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: "000000000000", Stage: "$default", APIID: "local",
			RequestID: string(ticket.NewID(now)), DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
			},
		},
	}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	ev.Headers["host"] = r.Host
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"), "+")
			if ev.PathParameters == nil {
				ev.PathParameters = map[string]string{}
			}
			ev.PathParameters[name] = r.PathValue(name)
		}
	}
	if len(body) > 0 {
		if utf8.Valid(body) && textual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// textual reports whether API Gateway passes a body of this type as
// text rather than base64.
func textual(contentType string) bool {
	ct := strings.ToLower(contentType)
	for _, t := range []string{"text/", "application/json", "application/x-www-form-urlencoded", "application/xml", "+json", "+xml"} {
		if strings.Contains(ct, t) {
			return true
		}
	}
	return false
}

// sourceIP is the caller's address without the port.
func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// write writes a function's payload-2.0 response.
func write(w http.ResponseWriter, out []byte) {
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		// A response without a status code is taken as the body of a 200,
		// as API Gateway does with payload 2.0.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
		return
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		body = b
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}
