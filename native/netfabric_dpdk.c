/*
 * libnetfabric_dpdk: see netfabric_dpdk.h for what this library is for and the rules it keeps.
 *
 * Error convention: calls that can fail return a negative errno (or NULL) and leave rte_errno set, so the
 * bindings can ask nf_errno/nf_strerror for DPDK's own text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "netfabric_dpdk.h"

/* The private area of NetFabric's mbufs: the extension, rounded up so that a whole PacketDescriptor (three cache
 * lines) fits in mbuf + private area. */
#define NF_PRIV_SIZE 64
#define NF_DESCRIPTOR_SIZE (sizeof(struct rte_mbuf) + NF_PRIV_SIZE)
#define NF_META(m) RTE_MBUF_DYNFIELD((m), NF_META_OFFSET, struct nf_packet_meta *)

_Static_assert(sizeof(struct rte_mbuf) == 128, "NetFabric's PacketDescriptor mirrors a 128-byte rte_mbuf");
_Static_assert(sizeof(struct nf_packet_extension) <= NF_PRIV_SIZE, "the extension must fit the private area");
_Static_assert(NF_META_OFFSET >= offsetof(struct rte_mbuf, dynfield1) &&
		NF_META_OFFSET + sizeof(struct nf_packet_meta) <= sizeof(struct rte_mbuf), "the metadata must sit in dynfield1");

#define NF_OFFSET(type, field) ((uint16_t)offsetof(struct type, field))

static int nf_cleaned_up;
static pthread_key_t nf_thread_key;
static pthread_once_t nf_thread_key_once = PTHREAD_ONCE_INIT;
static uint32_t nf_ring_counter;

int nf_abi_get(struct nf_abi *abi)
{
	if (abi == NULL)
		return -EINVAL;
	memset(abi, 0, sizeof(*abi));
	abi->abi_version = NF_DPDK_ABI_VERSION;
	abi->abi_size = sizeof(*abi);
	snprintf(abi->dpdk_version, sizeof(abi->dpdk_version), "%s", rte_version());
	abi->mbuf_headroom = RTE_PKTMBUF_HEADROOM;
	abi->priv_size = NF_PRIV_SIZE;
	abi->max_burst = NF_MAX_BURST;
	abi->max_lcores = RTE_MAX_LCORE;

	/* PacketDescriptor's fields in its declaration order, where an mbuf of this DPDK holds them. */
	uint16_t *d = abi->descriptor;
	d[0] = NF_OFFSET(rte_mbuf, buf_addr);
	d[1] = NF_OFFSET(rte_mbuf, data_off);
	d[2] = NF_OFFSET(rte_mbuf, pkt_len);
	d[3] = NF_OFFSET(rte_mbuf, data_len);
	d[4] = NF_OFFSET(rte_mbuf, buf_len);
	d[5] = NF_OFFSET(rte_mbuf, pool);
	d[6] = NF_OFFSET(rte_mbuf, next);
	d[7] = NF_META_OFFSET + NF_OFFSET(nf_packet_meta, in_port);
	d[8] = NF_META_OFFSET + NF_OFFSET(nf_packet_meta, flags);
	d[9] = sizeof(struct rte_mbuf) + NF_OFFSET(nf_packet_extension, flow_hash);
	d[10] = sizeof(struct rte_mbuf) + NF_OFFSET(nf_packet_extension, tunnel_source);
	d[11] = sizeof(struct rte_mbuf) + NF_OFFSET(nf_packet_extension, tunnel_id);
	d[12] = sizeof(struct rte_mbuf) + NF_OFFSET(nf_packet_extension, tunnel_destination);
	d[13] = sizeof(struct rte_mbuf) + NF_OFFSET(nf_packet_extension, timestamp);
	d[14] = NF_FLAG_OWNED | NF_FLAG_FLOW_HASH << 4 | NF_FLAG_TUNNEL << 8 | NF_FLAG_TIMESTAMP << 12;
	d[15] = NF_DESCRIPTOR_SIZE;

	uint16_t *b = abi->burst_result;
	b[0] = NF_OFFSET(nf_burst_result, count);
	b[1] = NF_OFFSET(nf_burst_result, rejected);
	b[2] = NF_OFFSET(nf_burst_result, bytes);
	b[3] = sizeof(struct nf_burst_result);

	uint16_t *s = abi->port_stats;
	s[0] = NF_OFFSET(nf_port_stats, rx_packets);
	s[1] = NF_OFFSET(nf_port_stats, tx_packets);
	s[2] = NF_OFFSET(nf_port_stats, rx_bytes);
	s[3] = NF_OFFSET(nf_port_stats, tx_bytes);
	s[4] = NF_OFFSET(nf_port_stats, rx_missed);
	s[5] = NF_OFFSET(nf_port_stats, rx_errors);
	s[6] = NF_OFFSET(nf_port_stats, tx_errors);
	s[7] = NF_OFFSET(nf_port_stats, rx_no_mbuf);
	s[8] = sizeof(struct nf_port_stats);

	uint16_t *l = abi->link;
	l[0] = NF_OFFSET(nf_link, speed_mbps);
	l[1] = NF_OFFSET(nf_link, up);
	l[2] = NF_OFFSET(nf_link, full_duplex);
	l[3] = NF_OFFSET(nf_link, autoneg);
	l[4] = NF_OFFSET(nf_link, reserved);
	l[5] = sizeof(struct nf_link);

	uint16_t *c = abi->port_config;
	c[0] = NF_OFFSET(nf_port_config, queues);
	c[1] = NF_OFFSET(nf_port_config, rx_descriptors);
	c[2] = NF_OFFSET(nf_port_config, tx_descriptors);
	c[3] = NF_OFFSET(nf_port_config, promiscuous);
	c[4] = NF_OFFSET(nf_port_config, reserved);
	c[5] = sizeof(struct nf_port_config);

	uint16_t *i = abi->port_info;
	i[0] = NF_OFFSET(nf_port_info, socket_id);
	i[1] = NF_OFFSET(nf_port_info, port_id);
	i[2] = NF_OFFSET(nf_port_info, max_rx_queues);
	i[3] = NF_OFFSET(nf_port_info, max_tx_queues);
	i[4] = NF_OFFSET(nf_port_info, rx_descriptors);
	i[5] = NF_OFFSET(nf_port_info, tx_descriptors);
	i[6] = NF_OFFSET(nf_port_info, mac);
	i[7] = NF_OFFSET(nf_port_info, rss);
	i[8] = NF_OFFSET(nf_port_info, promiscuous);
	i[9] = NF_OFFSET(nf_port_info, driver_name);
	i[10] = sizeof(struct nf_port_info);
	return 0;
}

int nf_eal_init(int argc, char **argv)
{
	/* rte_eal_init pins the calling thread to the main lcore's CPU. The caller is a .NET thread (often a
	 * thread-pool thread) that must keep running wherever the runtime schedules it, so its affinity is put
	 * back; the thread keeps lcore id 0 (the main lcore), which only gives it a mempool cache of its own. */
	cpu_set_t before;
	int saved = pthread_getaffinity_np(pthread_self(), sizeof(before), &before) == 0;
	int parsed = rte_eal_init(argc, argv);
	int error = rte_errno;
	if (saved)
		pthread_setaffinity_np(pthread_self(), sizeof(before), &before);
	if (parsed < 0)
		return -(error != 0 ? error : EINVAL);
	return parsed;
}

int nf_metadata_register(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = "netfabric_packet_metadata",
		.size = sizeof(struct nf_packet_meta),
		.align = __alignof__(struct nf_packet_meta),
	};
	/* Idempotent: registering the same field again returns its offset. */
	int offset = rte_mbuf_dynfield_register_offset(&field, NF_META_OFFSET);
	if (offset < 0)
		return -(rte_errno != 0 ? rte_errno : EBUSY);
	return offset == NF_META_OFFSET ? 0 : -EBUSY;
}

int nf_eal_cleanup(void)
{
	char runtime_dir[PATH_MAX];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	nf_cleaned_up = 1;
	int result = rte_eal_cleanup();
	/* The EAL creates its runtime directory even when it keeps no files in it (--in-memory, --no-shconf) and
	 * leaves it behind; remove it when it is empty, so test runs do not pile up directories under /var/run/dpdk. */
	if (runtime_dir[0] != '\0')
		rmdir(runtime_dir);
	return result < 0 ? -rte_errno : 0;
}

int nf_errno(void)
{
	return rte_errno;
}

void nf_strerror(int error, char *buffer, uint32_t size)
{
	if (buffer == NULL || size == 0)
		return;
	snprintf(buffer, size, "%s", rte_strerror(error < 0 ? -error : error));
}

static void nf_thread_exit(void *value)
{
	(void)value;
	/* A registered thread that ends gives its lcore id back, so a pipeline restarted many times does not run
	 * out of the RTE_MAX_LCORE ids. Nothing to give back once the EAL is gone. */
	if (!nf_cleaned_up)
		rte_thread_unregister();
}

static void nf_thread_key_create(void)
{
	pthread_key_create(&nf_thread_key, nf_thread_exit);
}

int nf_thread_register(void)
{
	unsigned int lcore = rte_lcore_id();
	if (lcore != LCORE_ID_ANY)
		return (int)lcore;
	if (rte_thread_register() != 0)
		return -(rte_errno != 0 ? rte_errno : ENOMEM);
	pthread_once(&nf_thread_key_once, nf_thread_key_create);
	/* The key's destructor runs on this thread when it exits, which is where rte_thread_unregister must run. */
	pthread_setspecific(nf_thread_key, (void *)1);
	return (int)rte_lcore_id();
}

int nf_lcore_id(void)
{
	unsigned int lcore = rte_lcore_id();
	return lcore == LCORE_ID_ANY ? -1 : (int)lcore;
}

void *nf_pool_create(const char *name, uint32_t count, uint32_t cache_size, uint16_t data_room, int32_t socket_id)
{
	return rte_pktmbuf_pool_create(name, count, cache_size, NF_PRIV_SIZE, data_room, socket_id);
}

void nf_pool_free(void *pool)
{
	rte_mempool_free(pool);
}

uint32_t nf_pool_available(void *pool)
{
	return pool == NULL ? 0 : rte_mempool_avail_count(pool);
}

/* The first ethdev port that devargs designate, as testpmd's "port attach" finds it: a driver may name its port
 * otherwise than the device (net_ring with nodeaction names it after the ring). */
static int nf_find_port(const char *devargs, uint16_t *port_id)
{
	struct rte_dev_iterator iterator;
	if (rte_eth_iterator_init(&iterator, devargs) != 0)
		return -ENODEV;
	uint16_t id = rte_eth_iterator_next(&iterator);
	if (id == RTE_MAX_ETHPORTS)
		return -ENODEV; /* the iterator cleaned up after itself */
	rte_eth_iterator_cleanup(&iterator);
	*port_id = id;
	return 0;
}

int nf_port_attach(const char *devargs, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	if (devargs == NULL || port_id == NULL)
		return -EINVAL;
	/* The device's name is what comes before the first comma ("net_pcap0,rx_pcap=a.pcap" is net_pcap0). */
	size_t length = strcspn(devargs, ",");
	if (length == 0 || length >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, length);
	name[length] = '\0';
	/* A device the EAL already probed (--vdev, an allowed PCI device) is used as it is. */
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0 || nf_find_port(devargs, port_id) == 0)
		return 0;
	int result = rte_dev_probe(devargs);
	if (result < 0)
		return result;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0 || nf_find_port(devargs, port_id) == 0)
		return 0;
	return -ENODEV;
}

int nf_ring_pair_create(const char *first, const char *second, uint32_t ring_size,
		uint16_t *first_port, uint16_t *second_port, void **rings)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t id = __atomic_fetch_add(&nf_ring_counter, 1, __ATOMIC_RELAXED);
	/* Single producer, single consumer: each end has one transmitting and one receiving caller per queue. */
	snprintf(name, sizeof(name), "nf_ring%u_a", id);
	struct rte_ring *forward = rte_ring_create(name, ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (forward == NULL)
		return -rte_errno;
	snprintf(name, sizeof(name), "nf_ring%u_b", id);
	struct rte_ring *backward = rte_ring_create(name, ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (backward == NULL) {
		int error = rte_errno;
		rte_ring_free(forward);
		return -error;
	}
	/* What the first end transmits goes into forward, which the second end receives from, and back. */
	int a = rte_eth_from_rings(first, &backward, 1, &forward, 1, rte_socket_id());
	if (a < 0) {
		int error = rte_errno;
		rte_ring_free(forward);
		rte_ring_free(backward);
		return -error;
	}
	int b = rte_eth_from_rings(second, &forward, 1, &backward, 1, rte_socket_id());
	if (b < 0) {
		int error = rte_errno;
		nf_port_close((uint16_t)a, 1);
		rte_ring_free(forward);
		rte_ring_free(backward);
		return -error;
	}
	*first_port = (uint16_t)a;
	*second_port = (uint16_t)b;
	rings[0] = forward;
	rings[1] = backward;
	return 0;
}

void nf_ring_free(void *ring)
{
	rte_ring_free(ring);
}

int nf_port_configure(uint16_t port_id, const struct nf_port_config *config, void *pool, struct nf_port_info *info)
{
	struct rte_eth_dev_info dev_info;
	struct rte_eth_conf conf;
	int result;

	if (config == NULL || pool == NULL || info == NULL || config->queues == 0)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	result = rte_eth_dev_info_get(port_id, &dev_info);
	if (result != 0)
		return result;
	info->port_id = port_id;
	info->socket_id = rte_eth_dev_socket_id(port_id);
	info->max_rx_queues = dev_info.max_rx_queues;
	info->max_tx_queues = dev_info.max_tx_queues;
	snprintf(info->driver_name, sizeof(info->driver_name), "%s", dev_info.driver_name != NULL ? dev_info.driver_name : "");
	if (config->queues > dev_info.max_rx_queues || config->queues > dev_info.max_tx_queues)
		return -EINVAL;

	memset(&conf, 0, sizeof(conf));
	/* RSS only where there is more than one queue to spread over and the device hashes something we want. */
	uint64_t rss = dev_info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	if (config->queues > 1 && rss != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
		info->rss = 1;
	}
	result = rte_eth_dev_configure(port_id, config->queues, config->queues, &conf);
	if (result != 0)
		return result;

	uint16_t rx_descriptors = config->rx_descriptors, tx_descriptors = config->tx_descriptors;
	result = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_descriptors, &tx_descriptors);
	if (result != 0)
		return result;
	info->rx_descriptors = rx_descriptors;
	info->tx_descriptors = tx_descriptors;

	unsigned int socket = info->socket_id < 0 ? rte_socket_id() : (unsigned int)info->socket_id;
	for (uint16_t q = 0; q < config->queues; q++) {
		result = rte_eth_rx_queue_setup(port_id, q, rx_descriptors, socket, NULL, pool);
		if (result != 0)
			return result;
		result = rte_eth_tx_queue_setup(port_id, q, tx_descriptors, socket, NULL);
		if (result != 0)
			return result;
	}

	struct rte_ether_addr mac;
	if (rte_eth_macaddr_get(port_id, &mac) == 0)
		memcpy(info->mac, mac.addr_bytes, sizeof(info->mac));
	if (config->promiscuous) {
		/* Drivers without the notion (ring, null) answer -ENOTSUP; the port works all the same. */
		result = rte_eth_promiscuous_enable(port_id);
		if (result != 0 && result != -ENOTSUP)
			return result;
	}
	info->promiscuous = rte_eth_promiscuous_get(port_id) == 1;
	return 0;
}

int nf_port_start(uint16_t port_id)
{
	return rte_eth_dev_start(port_id);
}

int nf_port_close(uint16_t port_id, int remove_device)
{
	struct rte_eth_dev_info dev_info;
	struct rte_device *device = NULL;
	if (rte_eth_dev_info_get(port_id, &dev_info) == 0)
		device = dev_info.device;
	rte_eth_dev_stop(port_id);
	int result = rte_eth_dev_close(port_id);
	/* Removing the device lets a later port probe the same name again (with other arguments, say). */
	if (remove_device && device != NULL)
		rte_dev_remove(device);
	return result;
}

int nf_port_stats(uint16_t port_id, struct nf_port_stats *stats)
{
	struct rte_eth_stats s;
	int result = rte_eth_stats_get(port_id, &s);
	if (result != 0)
		return result;
	stats->rx_packets = s.ipackets;
	stats->tx_packets = s.opackets;
	stats->rx_bytes = s.ibytes;
	stats->tx_bytes = s.obytes;
	stats->rx_missed = s.imissed;
	stats->rx_errors = s.ierrors;
	stats->tx_errors = s.oerrors;
	stats->rx_no_mbuf = s.rx_nombuf;
	return 0;
}

int nf_port_link(uint16_t port_id, struct nf_link *link)
{
	struct rte_eth_link l;
	memset(&l, 0, sizeof(l));
	int result = rte_eth_link_get_nowait(port_id, &l);
	memset(link, 0, sizeof(*link));
	if (result != 0)
		return result;
	link->speed_mbps = l.link_speed;
	link->up = l.link_status == RTE_ETH_LINK_UP;
	link->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	link->autoneg = l.link_autoneg == RTE_ETH_LINK_AUTONEG;
	return 0;
}

uint16_t nf_rx_burst(uint16_t port_id, uint16_t queue, struct rte_mbuf **out, uint16_t count,
		uint32_t in_port, struct nf_burst_result *result)
{
	struct rte_mbuf *mbufs[NF_MAX_BURST];
	struct rte_mbuf *rejected[NF_MAX_BURST];
	uint16_t delivered = 0, dropped = 0;
	uint64_t bytes = 0;
	/* One 8-byte store per packet: the in-port, owned, and no extension field valid. */
	const struct nf_packet_meta meta = { .in_port = in_port, .flags = NF_FLAG_OWNED };

	if (count > NF_MAX_BURST)
		count = NF_MAX_BURST;
	/* The last mempool seen to give its mbufs NetFabric's private area. The check is made on the mempool, once a
	 * burst in practice, rather than on each mbuf's priv_size: that field is in the mbuf's second cache line, which
	 * the driver has usually just written, and reading it waits for the line (about 2 ns a packet on net_null). */
	const struct rte_mempool *checked = NULL;
	uint16_t received = rte_eth_rx_burst(port_id, queue, mbufs, count);
	for (uint16_t i = 0; i < received; i++) {
		struct rte_mbuf *m = mbufs[i];
		/* The datapath rewrites frames in place and reads them as one span: it needs one segment, its own
		 * data (direct, not shared) and the private area of NetFabric's mempools. Anything else is dropped
		 * and counted. */
		if (unlikely(m->pool != checked)) {
			if (m->pool == NULL || rte_pktmbuf_priv_size(m->pool) < NF_PRIV_SIZE) {
				rejected[dropped++] = m;
				continue;
			}
			checked = m->pool;
		}
		if (unlikely(m->nb_segs != 1 || !RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)) {
			rejected[dropped++] = m;
			continue;
		}
		*NF_META(m) = meta;
		bytes += m->data_len;
		out[delivered++] = m;
	}
	if (dropped > 0)
		rte_pktmbuf_free_bulk(rejected, dropped);
	result->count = delivered;
	result->rejected = dropped;
	result->bytes = bytes;
	return delivered;
}

int32_t nf_tx_burst(uint16_t port_id, uint16_t queue, struct rte_mbuf *const *given, uint16_t count,
		struct nf_burst_result *result)
{
	struct rte_mbuf *mbufs[NF_MAX_BURST];
	uint16_t lengths[NF_MAX_BURST];

	if (count > NF_MAX_BURST)
		count = NF_MAX_BURST;
	for (uint16_t i = 0; i < count; i++) {
		struct rte_mbuf *m = given[i];
		/* A NetFabric pool buffer (no mempool) cannot go to DPDK: the caller copies it into an mbuf and calls
		 * again. Nothing has been sent or changed. */
		if (unlikely(m->pool == NULL)) {
			result->count = 0;
			result->rejected = 0;
			result->bytes = 0;
			return -1;
		}
		lengths[i] = m->data_len;
		mbufs[i] = m;
	}
	/* From here DPDK owns the mbufs. Their owned flag is left set: clearing it costs a store into a second cache
	 * line per packet (measured at about 3 ns a packet on net_null), and the next receive of the mbuf sets it
	 * anyway. So a release through a stale handle after a transmit is not caught, unlike a second release.
	 * The lengths were saved first: a sent mbuf may already be freed and reused by another thread. */
	uint16_t sent = rte_eth_tx_burst(port_id, queue, mbufs, count);
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += lengths[i];
	if (sent < count)
		rte_pktmbuf_free_bulk(mbufs + sent, count - sent);
	result->count = sent;
	result->rejected = count - sent;
	result->bytes = bytes;
	return sent;
}

uint16_t nf_alloc_burst(void *pool, struct rte_mbuf **out, uint16_t count)
{
	const struct nf_packet_meta meta = { .in_port = 0, .flags = NF_FLAG_OWNED };
	if (count > NF_MAX_BURST)
		count = NF_MAX_BURST;
	/* All or nothing, as rte_pktmbuf_alloc_bulk is. */
	if (rte_pktmbuf_alloc_bulk(pool, out, count) != 0)
		return 0;
	for (uint16_t i = 0; i < count; i++)
		*NF_META(out[i]) = meta;
	return count;
}

void nf_free_bulk(void *const *mbufs, uint32_t count)
{
	rte_pktmbuf_free_bulk((struct rte_mbuf **)mbufs, count);
}

void nf_burst_data(void *const *mbufs, uint16_t count, void **data, uint16_t *lengths)
{
	for (uint16_t i = 0; i < count; i++) {
		struct rte_mbuf *m = mbufs[i];
		data[i] = rte_pktmbuf_mtod(m, void *);
		lengths[i] = m->data_len;
	}
}
