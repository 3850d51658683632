/*
 * native-floor: what io forwarding between two DPDK ports costs from C, with and without NetFabric's shim, and
 * what a single per-packet touch of the mbuf adds. It answers "how close to dpdk-testpmd's io can a binding that
 * looks at each mbuf get on this machine?", which the managed harness cannot separate from its own costs.
 *
 *   native-floor MODE [SECONDS]     (root; built and run by benchmarks/dpdk/native-floor.sh)
 *
 * One forwarding thread on CPU 0 (registered with rte_thread_register, as NetFabric's workers are), DPDK's main
 * lcore on CPU 1, two net_null ports, --no-huge -m 256, 8,191 mbufs with a 256-mbuf per-lcore cache, bursts of 32,
 * 64-byte frames: the set-up of side-by-side.sh. Modes:
 *   raw      rte_eth_rx_burst on port A, rte_eth_tx_burst on B, then B to A; the mbufs are not touched (testpmd io)
 *   read     raw, plus one 8-byte load from each received mbuf's first cache line (its mempool pointer, which
 *            nobody writes). Any number of loads from that line costs the same as one.
 *   read2    raw, plus one 8-byte load from the second cache line (NetFabric's dynamic field)
 *   prefetch raw, plus a prefetch of each received mbuf's first cache line
 *   store    raw, plus one 8-byte store into each received mbuf (NetFabric's dynamic field)
 *   stamp    each port with its own mempool (so an mbuf is always received on the same port), and per mbuf what a
 *            receive that trusts its driver would still do without breaking today's contracts: store the in-port
 *            and flags only where they differ (a second-line load), and on transmit tell pool buffers from mbufs
 *            by a second-line field (priv_size); no byte counting (that needs data_len, in the first line)
 *   shim     nf_rx_burst / nf_tx_burst, what a DpdkPort calls (per mbuf: the receive checks, the in-port and flags
 *            store, the transmit's mempool and length loads)
 * Prints the forwarded packets per second summed over both ports, averaged over SECONDS after one of warm-up.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "netfabric_dpdk.h"

enum mode { MODE_RAW, MODE_READ, MODE_READ2, MODE_PREFETCH, MODE_STORE, MODE_STAMP, MODE_SHIM };

static volatile int running = 1;
static volatile uint64_t forwarded;
static uint16_t ports[2];
static enum mode mode;

static uint16_t forward(uint16_t from, uint16_t to, uint32_t in_port)
{
	struct rte_mbuf *burst[32];
	struct nf_burst_result result;
	if (mode == MODE_SHIM) {
		uint16_t received = nf_rx_burst(from, 0, burst, 32, in_port, &result);
		int32_t sent = received > 0 ? nf_tx_burst(to, 0, burst, received, &result) : 0;
		return sent > 0 ? (uint16_t)sent : 0;
	}
	uint16_t received = rte_eth_rx_burst(from, 0, burst, 32);
	const uint64_t meta = in_port | (uint64_t)NF_FLAG_OWNED << 32;
	uintptr_t sink = 0;
	for (uint16_t i = 0; i < received; i++) {
		uint64_t *field = RTE_MBUF_DYNFIELD(burst[i], NF_META_OFFSET, uint64_t *);
		if (mode == MODE_READ)
			sink |= (uintptr_t)burst[i]->pool;
		else if (mode == MODE_READ2)
			sink |= *field;
		else if (mode == MODE_PREFETCH)
			rte_prefetch0(burst[i]);
		else if (mode == MODE_STORE)
			*field = meta;
		else if (mode == MODE_STAMP && *field != meta)
			*field = meta;
	}
	for (uint16_t i = 0; mode == MODE_STAMP && i < received; i++)
		sink |= burst[i]->priv_size == 0; /* the transmit's "not an mbuf" test */
	if (sink == 1) /* never: keeps the loads */
		abort();
	uint16_t sent = received > 0 ? rte_eth_tx_burst(to, 0, burst, received) : 0;
	if (sent < received)
		rte_pktmbuf_free_bulk(burst + sent, received - sent);
	return sent;
}

static void *worker(void *unused)
{
	(void)unused;
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	nf_thread_register();
	uint64_t total = 0;
	while (running) {
		total += forward(ports[0], ports[1], 1);
		total += forward(ports[1], ports[0], 2);
		forwarded = total;
	}
	return NULL;
}

static int open_port(const char *devargs, void *pool, uint16_t *port)
{
	struct nf_port_config config = { .queues = 1, .rx_descriptors = 1024, .tx_descriptors = 1024, .promiscuous = 1 };
	struct nf_port_info info;
	if (nf_port_attach(devargs, port) < 0 || nf_port_configure(*port, &config, pool, &info) < 0 || nf_port_start(*port) < 0) {
		fprintf(stderr, "native-floor: cannot open %s\n", devargs);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "raw", "read", "read2", "prefetch", "store", "stamp", "shim" };
	int seconds = argc > 2 ? atoi(argv[2]) : 5;
	mode = MODE_SHIM + 1;
	for (int m = 0; argc > 1 && m <= MODE_SHIM; m++)
		if (strcmp(argv[1], names[m]) == 0)
			mode = m;
	if (mode > MODE_SHIM || seconds < 1) {
		fprintf(stderr, "usage: native-floor raw|read|read2|prefetch|store|stamp|shim [SECONDS]\n");
		return 2;
	}
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=nf-floor-%d", (int)getpid());
	char *eal[] = { "native-floor", "-l", "1", "-m", "256", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"--log-level=warning", prefix };
	if (nf_eal_init(sizeof(eal) / sizeof(eal[0]), eal) < 0 || nf_metadata_register() < 0) {
		fprintf(stderr, "native-floor: DPDK did not start (root?)\n");
		return 1;
	}
	void *pool = nf_pool_create("floor", 8191, 256, RTE_PKTMBUF_HEADROOM + 2048, -1);
	void *second = mode == MODE_STAMP ? nf_pool_create("floor-b", 8191, 256, RTE_PKTMBUF_HEADROOM + 2048, -1) : pool;
	if (pool == NULL || second == NULL || open_port("net_null0", pool, &ports[0]) < 0 || open_port("net_null1", second, &ports[1]) < 0)
		return 1;
	pthread_t thread;
	pthread_create(&thread, NULL, worker, NULL);
	sleep(1);
	uint64_t start = forwarded;
	sleep((unsigned)seconds);
	uint64_t end = forwarded;
	running = 0;
	pthread_join(thread, NULL);
	printf("result tool=native-floor mode=%s mpps=%.3f\n", names[mode], (double)(end - start) / seconds / 1e6);
	nf_port_close(ports[0], 1);
	nf_port_close(ports[1], 1);
	nf_eal_cleanup();
	return 0;
}
