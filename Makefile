# The few commands people run; each calls the real thing.
.PHONY: run test bench fuzz generate build setup

run:
	go run ./cmd/dive serve

test:
	./scripts/test

bench:
	go test -run '^$$' -bench . -benchtime 2s ./env/

fuzz:
	./scripts/fuzz 30s

generate:
	go generate ./internal/defaults

build:
	CGO_ENABLED=0 go build -trimpath -o bin/dive ./cmd/dive

setup:
	./scripts/setup-data
