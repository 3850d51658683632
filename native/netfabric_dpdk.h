/*
 * libnetfabric_dpdk: the C shim between NetFabric's .NET bindings (src/Datapath/Dpdk) and DPDK.
 *
 * DPDK's fast-path calls (rte_eth_rx_burst, rte_eth_tx_burst, the mbuf accessors) are static inline in its
 * headers, so .NET cannot call them directly: this library wraps them, one exported call per burst, never
 * per packet. Every structure below is mirrored field for field in src/Datapath/Dpdk/Internal; nf_abi_get
 * reports their sizes and offsets so the bindings refuse to run against a shim built from other headers.
 * Bump NF_DPDK_ABI_VERSION whenever a structure or a signature changes.
 */
#ifndef NETFABRIC_DPDK_H
#define NETFABRIC_DPDK_H

#include <stdint.h>

struct rte_mbuf;

#define NF_DPDK_ABI_VERSION 2
/* The largest burst one call moves (NetFabric's PacketBatch.MaximumSize). */
#define NF_MAX_BURST 64

/* NetFabric's dynamic mbuf field (struct nf_packet_meta), registered at this fixed offset by
 * nf_metadata_register: the last 8 bytes of rte_mbuf's dynfield1 area. Drivers that register fields of their
 * own take the lowest free offset, so they do not compete for it. */
#define NF_META_OFFSET 120

/* nf_packet_meta.flags */
#define NF_FLAG_OWNED 1u          /* a NetFabric stage owns the mbuf (received, allocated); cleared on release */
#define NF_FLAG_FLOW_HASH 2u      /* nf_packet_extension.flow_hash is valid */
#define NF_FLAG_TUNNEL 4u         /* nf_packet_extension.tunnel_* are valid */
#define NF_FLAG_TIMESTAMP 8u      /* nf_packet_extension.timestamp is valid */

#if defined(__GNUC__)
#define NF_EXPORT __attribute__((visibility("default")))
#else
#define NF_EXPORT
#endif

/*
 * NetFabric's PacketDescriptor (src/Datapath/Buffers/Internal/PacketDescriptor.cs) is laid out as struct rte_mbuf
 * for its first 128 bytes, so a managed PacketBuffer handle is the rte_mbuf* itself: receive and transmit hand
 * mbuf pointers across unchanged. Besides the mbuf's own fields (buf_addr, data_off, pkt_len, data_len, buf_len,
 * pool, next) NetFabric keeps two things per packet:
 *  - struct nf_packet_meta in its dynamic field at NF_META_OFFSET, written on every receive;
 *  - struct nf_packet_extension in the mbuf's private area (rte_mbuf_to_priv), whose fields are valid only while
 *    their bit is set in nf_packet_meta.flags, so receive never touches that cache line.
 */
struct nf_packet_meta {
	uint32_t in_port;       /* the port number the receiving DpdkPort stamps */
	uint32_t flags;         /* NF_FLAG_* */
};

struct nf_packet_extension {
	uint32_t flow_hash;
	uint32_t tunnel_source;
	uint64_t tunnel_id;
	uint32_t tunnel_destination;
	uint32_t reserved;
	int64_t timestamp;
};

/* What one burst call did besides its return value. */
struct nf_burst_result {
	uint32_t count;     /* packets received (handed out) or sent */
	uint32_t rejected;  /* receive: mbufs freed because they were not one direct, exclusive segment */
	uint64_t bytes;     /* bytes of the packets counted in count */
};

/* The device's own counters (rte_eth_stats without the per-queue arrays). */
struct nf_port_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t rx_missed;
	uint64_t rx_errors;
	uint64_t tx_errors;
	uint64_t rx_no_mbuf;
};

/* rte_eth_link without bit fields, so the managed mirror is plain. */
struct nf_link {
	uint32_t speed_mbps;
	uint8_t up;
	uint8_t full_duplex;
	uint8_t autoneg;
	uint8_t reserved;
};

struct nf_port_config {
	uint16_t queues;          /* receive queues = transmit queues */
	uint16_t rx_descriptors;
	uint16_t tx_descriptors;
	uint8_t promiscuous;
	uint8_t reserved;
};

/* What nf_port_configure found out about the device. */
struct nf_port_info {
	int32_t socket_id;
	uint16_t port_id;
	uint16_t max_rx_queues;
	uint16_t max_tx_queues;
	uint16_t rx_descriptors;  /* after rte_eth_dev_adjust_nb_rx_tx_desc */
	uint16_t tx_descriptors;
	uint8_t mac[6];
	uint8_t rss;              /* 1 when receive-side scaling spreads flows over the queues */
	uint8_t promiscuous;      /* 1 when promiscuous mode is on */
	char driver_name[32];
};

/* Layouts as this shim was compiled: offsets of each field in declaration order, then the size. */
struct nf_abi {
	uint32_t abi_version;
	uint32_t abi_size;
	char dpdk_version[64];
	uint16_t mbuf_headroom;   /* RTE_PKTMBUF_HEADROOM */
	uint16_t priv_size;       /* the mbuf private area NetFabric's mempools get (holds nf_packet_extension) */
	uint16_t max_burst;
	uint16_t max_lcores;
	uint16_t descriptor[16];  /* where an mbuf holds PacketDescriptor's 14 fields, the flag bits, the size (nf_abi_get) */
	uint16_t burst_result[4]; /* 3 fields + size */
	uint16_t port_stats[9];   /* 8 fields + size */
	uint16_t link[6];         /* 5 fields + size */
	uint16_t port_config[6];  /* 5 fields + size */
	uint16_t port_info[11];   /* 10 fields + size */
};

NF_EXPORT int nf_abi_get(struct nf_abi *abi);

NF_EXPORT int nf_eal_init(int argc, char **argv);
NF_EXPORT int nf_eal_cleanup(void);
NF_EXPORT int nf_metadata_register(void);
NF_EXPORT int nf_errno(void);
NF_EXPORT void nf_strerror(int error, char *buffer, uint32_t size);
NF_EXPORT int nf_thread_register(void);
NF_EXPORT int nf_lcore_id(void);

NF_EXPORT void *nf_pool_create(const char *name, uint32_t count, uint32_t cache_size, uint16_t data_room, int32_t socket_id);
NF_EXPORT void nf_pool_free(void *pool);
NF_EXPORT uint32_t nf_pool_available(void *pool);

NF_EXPORT int nf_port_attach(const char *devargs, uint16_t *port_id);
NF_EXPORT int nf_ring_pair_create(const char *first, const char *second, uint32_t ring_size,
		uint16_t *first_port, uint16_t *second_port, void **rings);
NF_EXPORT void nf_ring_free(void *ring);
NF_EXPORT int nf_port_configure(uint16_t port_id, const struct nf_port_config *config, void *pool, struct nf_port_info *info);
NF_EXPORT int nf_port_start(uint16_t port_id);
NF_EXPORT int nf_port_close(uint16_t port_id, int remove_device);
NF_EXPORT int nf_port_stats(uint16_t port_id, struct nf_port_stats *stats);
NF_EXPORT int nf_port_link(uint16_t port_id, struct nf_link *link);

NF_EXPORT uint16_t nf_rx_burst(uint16_t port_id, uint16_t queue, struct rte_mbuf **out, uint16_t count,
		uint32_t in_port, struct nf_burst_result *result);
NF_EXPORT int32_t nf_tx_burst(uint16_t port_id, uint16_t queue, struct rte_mbuf *const *mbufs,
		uint16_t count, struct nf_burst_result *result);
NF_EXPORT uint16_t nf_alloc_burst(void *pool, struct rte_mbuf **out, uint16_t count);
NF_EXPORT void nf_free_bulk(void *const *mbufs, uint32_t count);
NF_EXPORT void nf_burst_data(void *const *mbufs, uint16_t count, void **data, uint16_t *lengths);

#endif
