/* Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0 */
/* The smallest useful image payload: a static program that greets and names its architecture. */
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
    struct utsname u;
    if (uname(&u) != 0) {
        return 1;
    }
    printf("hello from kaniko-rs on %s\n", u.machine);
    return 0;
}
