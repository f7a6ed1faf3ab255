/* Host (POSIX) port: the protocol over a TCP socket (--port N, 0 = any free port) or a
 * pseudo-terminal (--pty). One client at a time; a new client sees a fresh boot, like a
 * board reset. Replies are buffered and flushed whenever the input runs dry, so pipelined
 * requests cost one send per batch. The counter is CLOCK_MONOTONIC in nanoseconds. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "packetclip/hal.h"
#include "packetclip/protocol.h"

#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "host"
#endif

static int listen_fd = -1, io_fd = -1, use_pty;
static uint8_t in_buf[4096], out_buf[8192];
static size_t in_len, in_pos, out_len;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void flush_out(void)
{
    size_t off = 0;
    while (off < out_len && io_fd >= 0) {
        ssize_t n = write(io_fd, out_buf + off, out_len - off);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {io_fd, POLLOUT, 0};
            poll(&p, 1, 100);
        } else {
            break; /* peer gone: the next read sees it */
        }
    }
    out_len = 0;
}

static void accept_client(void)
{
    int one = 1;
    io_fd = accept(listen_fd, NULL, NULL);
    if (io_fd < 0)
        die("accept");
    setsockopt(io_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(io_fd, F_SETFL, fcntl(io_fd, F_GETFL) | O_NONBLOCK);
}

static void open_tcp(int port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0)
        die("socket");
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 1) < 0)
        die("bind/listen");
    getsockname(listen_fd, (struct sockaddr *)&a, &alen);
    /* one line for the launcher (packetclip.device.hostport) to read */
    printf("listening 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
}

static void open_pty(void)
{
    io_fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (io_fd < 0 || grantpt(io_fd) < 0 || unlockpt(io_fd) < 0)
        die("pty");
    {
        /* raw from the start: a cooked pty would echo the boot line back to us */
        struct termios t;
        if (tcgetattr(io_fd, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(io_fd, TCSANOW, &t);
        }
        printf("pty %s\n", ptsname(io_fd));
        fflush(stdout);
    }
    fcntl(io_fd, F_SETFL, fcntl(io_fd, F_GETFL) | O_NONBLOCK);
}

void pc_hal_init(void)
{
    if (!use_pty && io_fd < 0)
        accept_client();
}

int pc_hal_read_byte(void)
{
    if (in_pos == in_len) {
        ssize_t n;
        in_pos = in_len = 0;
        n = read(io_fd, in_buf, sizeof in_buf);
        if (n > 0) {
            in_len = (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR && !(use_pty && errno == EIO))) {
            /* client gone: wait for the next one and boot afresh */
            if (use_pty)
                return -1;
            close(io_fd);
            out_len = 0;
            accept_client();
            pc_core_init();
            pc_core_boot();
            flush_out();
            return -1;
        } else {
            flush_out();
            return -1;
        }
    }
    return in_buf[in_pos++];
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len) {
        size_t k = sizeof out_buf - out_len;
        if (k == 0) {
            flush_out();
            continue;
        }
        if (k > len)
            k = len;
        memcpy(out_buf + out_len, data, k);
        out_len += k;
        data += k;
        len -= k;
    }
}

void pc_hal_idle(void)
{
    struct pollfd p = {io_fd, POLLIN, 0};
    flush_out();
    poll(&p, 1, use_pty ? 50 : 1000);
}

uint32_t pc_hal_counter(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
}

uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_NANOSECONDS; }
uint32_t pc_hal_counter_hz(void) { return 1000000000u; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --port N | --pty\n  serve packetclip protocol v1 (N = 0 picks a free port)\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    int i, port = -1;
    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pty"))
            use_pty = 1;
        else
            usage(argv[0]);
    }
    if (use_pty)
        open_pty();
    else if (port >= 0)
        open_tcp(port);
    else
        usage(argv[0]);
    pc_main();
    return 0;
}
