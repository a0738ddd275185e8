package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// stack is the whole system running locally: the emulators, template.yaml
// deployed on them (every function's own binary under the local runtime
// API), and one HTTP server carrying the HTTP API's routes plus the
// local-only /_local routes.
type stack struct {
	emus  *emulators
	dep   *deployment
	db    *dynamodb.Client
	table string
	store *dynamo.Store
	mux   *http.ServeMux
	addr  string
	// texts are the SMS the functions sent (SNS Publish to a number).
	texts *recent[outboxEntry]
	// auth is staff sign-in to the staff API: the local issuer and
	// authorizer.
	auth *localAuth
	// urls are printed at start-up, one line each.
	urls []string
	// background work (queue pollers, stream readers).
	wg sync.WaitGroup
}

func envPort(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return p, nil
}

// dev runs the whole system until Ctrl-C.
func dev(ctx context.Context, root string, args []string) int {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	fs.Parse(args)
	if err := runDev(ctx, root); err != nil {
		fmt.Fprintln(os.Stderr, "local dev:", err)
		return 1
	}
	return 0
}

// serve serves h on a free local port until ctx ends and returns its URL.
func serve(ctx context.Context, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return "http://" + l.Addr().String(), nil
}

func runDev(ctx context.Context, root string) error {
	ports := map[string]int{}
	for _, p := range []struct {
		env string
		def int
	}{{"FRONTDESK_HTTP_PORT", 3000}, {"FRONTDESK_DYNAMODB_PORT", 8000}, {"FRONTDESK_FAUXQS_PORT", 4566}, {"FRONTDESK_SES_PORT", 8005}} {
		v, err := envPort(p.env, p.def)
		if err != nil {
			return err
		}
		if err := emulator.PortFree(v); err != nil {
			return fmt.Errorf("%w (%s)", err, p.env)
		}
		ports[p.env] = v
	}
	dep, err := loadDeployment(root)
	if err != nil {
		return err
	}
	defer dep.close()
	fmt.Println("Frontdesk: building the functions (make build-<Function>, for this machine) …")
	if err := dep.build(ctx); err != nil {
		return err
	}
	st := &stack{mux: http.NewServeMux(), dep: dep, texts: &recent[outboxEntry]{limit: 5000}}
	st.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports["FRONTDESK_HTTP_PORT"]))
	fmt.Println("Frontdesk: starting the emulators …")
	emus, err := startAll(ctx, emulator.Paths{Root: root}, ports["FRONTDESK_DYNAMODB_PORT"], ports["FRONTDESK_FAUXQS_PORT"], ports["FRONTDESK_SES_PORT"])
	defer emus.stop()
	if err != nil {
		return err
	}
	st.emus = emus

	// Stand-ins the functions reach through their endpoints: Parameter
	// Store (the secrets), and SNS with texts to phones recorded.
	srvCtx, stopServers := context.WithCancel(context.Background())
	defer stopServers()
	ssmURL, err := serve(srvCtx, awslocal.Parameters(dep.overrides.SSMParameters))
	if err != nil {
		return err
	}
	fx, err := url.Parse(emus.fauxqs.URL)
	if err != nil {
		return err
	}
	// Each text also gets the delivery status record SNS would log, for
	// the functions subscribed to those log groups (blast receipts).
	receipts := &awslocal.DeliveryLogs{Deliver: dep.deliverLogs}
	go receipts.Run(srvCtx)
	snsURL, err := serve(srvCtx, &awslocal.SMSFront{Next: fx, OnText: func(t awslocal.Text) {
		st.texts.add(outboxEntry{Channel: ticket.SMS, To: t.To, Body: t.Body, ProviderID: t.MessageID, TicketRef: findRef(t.Body), At: t.At})
		receipts.Add(t)
	}})
	if err != nil {
		return err
	}
	dep.endpoints = map[string]string{
		"DYNAMODB": emus.dynamo.URL, "DYNAMODB_STREAMS": emus.dynamo.URL, "SNS": snsURL, "SQS": emus.fauxqs.URL,
		"S3": emus.fauxqs.URL, "SESV2": emus.ses.URL, "SSM": ssmURL,
	}
	st.db = awslocal.DynamoDB(emus.dynamo.URL)
	dep.db, dep.sns, dep.sqs, dep.s3 = st.db, awslocal.SNS(emus.fauxqs.URL), awslocal.SQS(emus.fauxqs.URL), awslocal.S3(emus.fauxqs.URL)
	dep.onInit = func(id string, d time.Duration) {
		fmt.Printf("%s cold start %s (process start to first call for an event)\n", id, d.Round(100*time.Microsecond))
	}
	if err := dep.createResources(ctx); err != nil {
		return err
	}
	tables, err := dep.ids("AWS::DynamoDB::Table")
	if err != nil || len(tables) != 1 {
		return fmt.Errorf("template.yaml: want one table, have %v (%v)", tables, err)
	}
	if st.table, err = dep.res.Name(tables[0]); err != nil {
		return err
	}
	st.store = dynamo.New(st.db, st.table)
	if err := dep.start(st.url("")); err != nil {
		return err
	}
	// Staff sign-in first: routes behind the JWT authorizer check tokens
	// against its local issuer.
	if err := st.staffAuth(ctx); err != nil {
		return err
	}
	dep.authorize = st.auth.Claims
	routes, err := dep.wireEvents(ctx, st.mux, &st.wg)
	if err != nil {
		return err
	}
	for _, s := range []func(context.Context) error{st.inspection, st.console, st.sms, st.notify, st.email, st.tick, st.blasts} {
		if err := s(ctx); err != nil {
			return err
		}
	}

	srv := &http.Server{Addr: st.addr, Handler: st.mux, ReadHeaderTimeout: 10 * time.Second}
	l, err := net.Listen("tcp", st.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", st.addr, err)
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Printf("\nFrontdesk is running template.yaml locally (Ctrl-C stops everything):\n")
	fmt.Printf("  DynamoDB Local        %s  (table %s, pid %d)\n", emus.dynamo.URL, st.table, emus.dynamo.Pid())
	fmt.Printf("  SNS/SQS/S3 (fauxqs)   %s  (pid %d; functions reach SNS through %s, which keeps texts)\n", emus.fauxqs.URL, emus.fauxqs.Pid(), snsURL)
	fmt.Printf("  SES v2 emulator       %s  (web inbox at /, pid %d)\n", emus.ses.URL, emus.ses.Pid())
	fmt.Printf("  Parameter Store       %s  (from local/overrides.yaml)\n", ssmURL)
	fmt.Println("  Parameters overridden by local/overrides.yaml:")
	for _, o := range dep.overridden() {
		fmt.Println("    " + o)
	}
	fmt.Println("  HTTP API on " + st.url("/") + ":")
	for _, r := range routes {
		fmt.Println("    " + r)
	}
	for _, u := range st.urls {
		fmt.Println("  " + u)
	}
	for _, s := range dep.skipped {
		fmt.Println("  not run locally: " + s)
	}
	fmt.Println()
	err = srv.Serve(l)
	st.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		fmt.Println("Frontdesk: stopped.")
		return nil
	}
	return err
}

func (st *stack) url(path string) string { return "http://" + st.addr + path }

// inspection serves the local-only routes to look into the table and at
// what was sent to customers.
func (st *stack) inspection(ctx context.Context) error {
	st.mux.HandleFunc("GET /_local/tickets", func(w http.ResponseWriter, r *http.Request) {
		list, err := st.store.Recent(r.Context(), 200, 30)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		if list == nil {
			list = []ticket.Ticket{}
		}
		writeJSON(w, http.StatusOK, list)
	})
	st.mux.HandleFunc("GET /_local/tickets/{ref}", func(w http.ResponseWriter, r *http.Request) {
		ref, ok := ticket.ParseRef(r.PathValue("ref"))
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "not a ticket reference"})
			return
		}
		id, err := st.store.ByRef(r.Context(), ref)
		if err == nil {
			var t *ticket.Ticket
			if t, err = st.store.View(r.Context(), id); err == nil {
				writeJSON(w, http.StatusOK, t)
				return
			}
		}
		if errors.Is(err, ticket.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no ticket " + string(ref)})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	})
	st.mux.HandleFunc("GET /_local/outbox", func(w http.ResponseWriter, r *http.Request) {
		list := st.texts.list()
		mails, err := sentMail(r.Context(), st.emus.ses.URL)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
		list = append(list, mails...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].At.After(list[j].At) })
		writeJSON(w, http.StatusOK, list)
	})
	st.urls = append(st.urls,
		"Tickets (JSON)        "+st.url("/_local/tickets"),
		"One ticket            "+st.url("/_local/tickets/{ref}"),
		"Outbox (sent to customers) "+st.url("/_local/outbox"),
	)
	return nil
}

// sentMail lists the mail the SES emulator received, as outbox entries.
func sentMail(ctx context.Context, sesURL string) ([]outboxEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sesURL+"/store", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the SES emulator's mail: %w", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			MessageID   string `json:"messageId"`
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Subject string `json:"subject"`
			Body    struct {
				Text string `json:"text"`
			} `json:"body"`
			At int64 `json:"at"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, fmt.Errorf("read the SES emulator's mail: %w", err)
	}
	out := make([]outboxEntry, 0, len(store.Emails))
	for _, m := range store.Emails {
		e := outboxEntry{Channel: ticket.Email, Subject: m.Subject, Body: m.Body.Text, ProviderID: m.MessageID,
			TicketRef: findRef(m.Subject), At: time.Unix(m.At, 0).UTC()}
		for _, to := range m.Destination.To {
			if a, err := mail.ParseAddress(to); err == nil {
				to = a.Address
			}
			if e.To != "" {
				e.To += ", "
			}
			e.To += to
		}
		out = append(out, e)
	}
	return out, nil
}

func findRef(s string) ticket.Ref {
	ref, _ := ticket.FindRef(s)
	return ref
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		slog.Error("write response", "err", err)
	}
}

// outboxEntry is one message sent to a customer, as the local outbox shows
// it.
type outboxEntry struct {
	Channel    ticket.Channel `json:"channel"`
	To         string         `json:"to"`
	Subject    string         `json:"subject,omitempty"`
	Body       string         `json:"body"`
	ProviderID string         `json:"providerId,omitempty"`
	TicketRef  ticket.Ref     `json:"ticketRef,omitempty"`
	At         time.Time      `json:"at"`
}

// recent keeps the latest entries of a local log (the texts, the
// notices), at most limit of them, and lists them newest first.
type recent[T any] struct {
	mu      sync.Mutex
	limit   int
	entries []T
}

func (r *recent[T]) add(e T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	if r.limit > 0 && len(r.entries) > r.limit {
		r.entries = r.entries[len(r.entries)-r.limit:]
	}
}

func (r *recent[T]) list() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.entries))
	for i := len(r.entries) - 1; i >= 0; i-- {
		out = append(out, r.entries[i])
	}
	return out
}
