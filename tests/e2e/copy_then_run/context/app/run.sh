#!/bin/sh
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
echo "ran as $(id -u) in $(pwd)"
