# Frontdesk — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go

# Every Lambda: the folder under functions/ and its logical ID in template.yaml.
FUNCTIONS := webform:WebFormFunction sms:SmsFunction twilio:TwilioFunction notifier:NotifierFunction email:EmailFunction staff:StaffFunction scheduler:SchedulerFunction blastsender:BlastSenderFunction blaststaff:BlastStaffFunction blastreceipts:BlastReceiptsFunction

LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='

DDB_VERSION := 2.9.30
DDB_JAR     := .cache/dynamodb/DynamoDBLocal.jar
NODE_EMU    := local/emulators/node_modules/.installed
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help build test bench fuzz dev lint emulators browser cfn-lint clean replay
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build every function for Lambda (linux/arm64) into bin/<function>/bootstrap
	@set -e; for f in $(FUNCTIONS); do dir=$${f%%:*}; \
	  echo "build $$dir"; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$dir/bootstrap ./functions/$$dir; done

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set (BuildMethod: makefile).
define lambda_target
build-$(word 2,$(subst :, ,$(1))):
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(word 1,$(subst :, ,$(1)))
endef
$(foreach f,$(FUNCTIONS),$(eval $(call lambda_target,$(f))))

emulators: $(DDB_JAR) $(NODE_EMU) ## fetch DynamoDB Local and the Node emulators into git-ignored folders

$(DDB_JAR):
	@mkdir -p .cache/dynamodb
	cd .cache && npm pack --silent amplify-dynamodb-simulator@$(DDB_VERSION) >/dev/null
	tar -xzf .cache/amplify-dynamodb-simulator-$(DDB_VERSION).tgz -C .cache/dynamodb --strip-components=2 package/emulator
	rm -f .cache/amplify-dynamodb-simulator-$(DDB_VERSION).tgz
	@test -f $@

$(NODE_EMU): local/emulators/package.json local/emulators/package-lock.json
	cd local/emulators && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $@

browser: ## install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

cfn-lint: ## install cfn-lint with pip when it is missing
	@command -v cfn-lint >/dev/null || pip install --quiet cfn-lint || pip install --quiet --break-system-packages cfn-lint

test: emulators browser cfn-lint ## vet, lint the template, then every test with -race against freshly started emulators
	$(GO) vet ./...
	cfn-lint template.yaml
	$(GO) run ./local with -- $(GO) test -race -count=1 -timeout 14m ./...

FUZZTIME ?= 20s
fuzz: ## run every fuzz target (found in the *_test.go files) for FUZZTIME each
	@set -e; for f in $$(git ls-files '*_test.go'); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*testing\.F).*/\1/p' $$f); do \
	    echo "fuzz ./$$(dirname $$f) $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); done; done

bench: emulators build ## benchmarks against the emulators (one package at a time), cold starts, and the Lambda binary sizes
	$(GO) run ./local with -- $(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime 2s ./...
	@mkdir -p bin/local/floor && $(GO) build $(LAMBDA_FLAGS) -o bin/local/floor/bootstrap ./local/floor
	$(GO) run ./local coldstart -n 10 -floor bin/local/floor/bootstrap
	@for f in $(FUNCTIONS); do dir=$${f%%:*}; \
	  stat -c %s bin/$$dir/bootstrap | awk -v f=$$dir '{printf "binary %-10s %6.2f MB (stripped, linux/arm64)\n", f, $$1/1000000}'; done

# Built, not "go run": go run reports an interrupted program as failed.
dev: emulators ## run template.yaml locally: every function's own binary under a local Lambda runtime API (Ctrl-C stops everything)
	$(GO) build -o .cache/bin/frontdesk-local ./local
	exec .cache/bin/frontdesk-local dev

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

CHANNEL ?= email
replay: ## replay quarantined deliveries once their cause is fixed: CHANNEL=email|sms (the function's environment), DRY_RUN=1 lists them only
	$(GO) run ./cmd/replay -channel $(CHANNEL) $(if $(DRY_RUN),-n)

clean: ## remove build output and fetched emulators
	rm -rf bin .aws-sam .cache local/emulators/node_modules
