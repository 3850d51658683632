using System.Diagnostics;
using NetFabric.Datapath.Capture;
using static NetFabric.Datapath.Tests.Capture.PcapNgBuilder;

namespace NetFabric.Datapath.Tests.Capture;

public class PcapNgReaderTests
{
    private const string TsharkPath = "/usr/bin/tshark";

    [Theory]
    [InlineData(TimestampResolution.Nanoseconds)]
    [InlineData(TimestampResolution.Microseconds)]
    public void A_pcapng_converted_by_tshark_reads_back_with_the_same_frames_and_timestamps(TimestampResolution resolution)
    {
        CapturedFrame[] frames = PcapRoundTripTests.SampleFrames(300);
        using var pcap = new TempCaptureFile();
        using var pcapng = new TempCaptureFile(".pcapng");
        CaptureFiles.Write(pcap.Path, frames, resolution: resolution);

        RunTshark("-r", pcap.Path, "-F", "pcapng", "-w", pcapng.Path);
        using CaptureReader reader = CaptureReader.Open(pcapng.Path);
        List<ReadFrame> read = CaptureFiles.ReadAll(reader);

        Assert.Equal(CaptureFileFormat.PcapNg, reader.Format);
        Assert.False(reader.Truncated);
        Assert.Equal(frames.Length, read.Count);
        for (int i = 0; i < frames.Length; i++)
        {
            // tshark keeps the input's precision: its IDB says if_tsresol=9 for a nanosecond
            // pcap and leaves the microsecond default for a microsecond one.
            long expected = resolution == TimestampResolution.Nanoseconds
                ? frames[i].TimestampNanoseconds
                : frames[i].TimestampNanoseconds / 1_000 * 1_000;
            Assert.Equal(expected, read[i].Record.TimestampNanoseconds);
            Assert.Equal(frames[i].Bytes, read[i].Bytes);
            Assert.Equal(frames[i].Bytes.Length, read[i].Record.OriginalLength);
            Assert.Equal(LinkType.Ethernet, read[i].Record.LinkType);
        }
    }

    [Fact]
    public void Simple_packets_unknown_blocks_options_and_a_big_endian_second_section_are_all_read()
    {
        byte[] first = Frame(60, 1), simple = Frame(100, 2), raw = Frame(40, 3), second = Frame(70, 4), old = Frame(50, 5);
        byte[] file = new PcapNgBuilder()
            .SectionHeader(bigEndian: false,
                TextOption(4, "NetFabric test"),                   // shb_userappl
                TextOption(1, "first section"))                    // opt_comment
            .InterfaceDescription(1, snapLength: 64,
                TextOption(2, "eth0"),                             // if_name
                Option(9, 9))                                      // if_tsresol: nanoseconds
            .InterfaceDescription(101, snapLength: 0,
                Option(14, Int64Option(10, bigEndian: false)))     // if_tsoffset: +10 s, microseconds
            .EnhancedPacket(0, 1_700_000_000_123_456_789, first, originalLength: 60,
                TextOption(1, "a comment"),
                Option(2, 1, 0, 0, 0))                             // epb_flags
            .Block(0x0000_0BAD, Enumerable.Range(0, 13).Select(i => (byte)i))
            .SimplePacket(originalLength: 100, simple[..64])       // cut to IDB 0's snaplen
            .Block(InterfaceStatisticsType, new byte[20])
            .EnhancedPacket(1, 1_700_000_000_000_001, raw)
            .SectionHeader(bigEndian: true)
            .InterfaceDescription(1, snapLength: 65535,
                Option(9, 0x80 | 20))                              // if_tsresol: 2^-20 s
            .EnhancedPacket(0, (5UL << 20) | (1UL << 19), second, originalLength: 1514)
            .ObsoletePacket(0, 3UL << 20, old)
            .ToArray();
        using var temp = TempCaptureFile.WithBytes(file, ".pcapng");

        List<ReadFrame> read = CaptureFiles.ReadAll(temp.Path);

        Assert.Equal(
            [
                new CaptureRecord(1_700_000_000_123_456_789, 60, 60, 0, LinkType.Ethernet),
                new CaptureRecord(0, 64, 100, 0, LinkType.Ethernet),
                new CaptureRecord(1_700_000_010_000_001_000, 40, 40, 1, LinkType.Raw),
                new CaptureRecord(5_500_000_000, 70, 1514, 0, LinkType.Ethernet),
                new CaptureRecord(3_000_000_000, 50, 50, 0, LinkType.Ethernet),
            ],
            read.Select(r => r.Record));
        Assert.Equal([first, simple[..64], raw, second, old], read.Select(r => r.Bytes));
    }

    [Fact]
    public void Interfaces_of_one_section_do_not_carry_over_into_the_next()
    {
        byte[] file = new PcapNgBuilder()
            .SectionHeader(bigEndian: false)
            .InterfaceDescription(1, 0)
            .InterfaceDescription(1, 0)
            .EnhancedPacket(1, 0, Frame(60, 1))
            .SectionHeader(bigEndian: true)
            .InterfaceDescription(1, 0)
            .EnhancedPacket(1, 0, Frame(60, 2))
            .ToArray();
        using var temp = TempCaptureFile.WithBytes(file, ".pcapng");
        using CaptureReader reader = CaptureReader.Open(temp.Path);
        var buffer = new byte[2048];

        Assert.True(reader.TryRead(buffer, out _));
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryRead(buffer, out _));

        Assert.Contains("interface 1", error.Message);
        Assert.False(reader.TryRead(buffer, out _));
    }

    internal static byte[] Frame(int length, byte seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(seed * 31 + i);
        return bytes;
    }

    private static void RunTshark(params string[] arguments)
    {
        if (!File.Exists(TsharkPath))
            Assert.Fail($"{TsharkPath} is missing: install tshark (apt-get install tshark) to run the pcapng interoperability tests.");
        var start = new ProcessStartInfo(TsharkPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        // tshark warns about running as root on stderr; only the exit code matters.
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark {string.Join(' ', arguments)} exited with {process.ExitCode}: {error.Result}");
    }
}
