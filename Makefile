# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
.PHONY: build test lint fmt setup example docs image bench

build:
	cargo build --locked

setup:
	bash hack/setup.sh

test:
	bash hack/test.sh

lint:
	bash hack/lint.sh

fmt:
	bash hack/fmt.sh

image:
	bash hack/image.sh

bench:
	bash hack/bench.sh

example:
	bash hack/example.sh

docs:
	UPDATE_DOCS=1 cargo test --test cli docs_cli_md_matches_clap
