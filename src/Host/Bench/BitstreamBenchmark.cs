using Dpr.Fabric.Bitstreams;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench bitstream</c>: what preparing an image costs before it goes to the configuration
/// port: parse + CRC check, conversion to the fpga_manager .bin, both together, against a
/// bit-by-bit CRC (the definition in FORMAT-NOTES §8) measured in the same run. Goal (issue 3):
/// check + convert at 1 GB/s or more, a small fraction of the PCAP load time (~145 MB/s).
/// </summary>
public sealed class BitstreamBenchmark : IBenchmark
{
    private const double GoalGBps = 1.0;
    private const double PcapBytesPerSecond = 145e6;

    private static readonly (string Label, string File)[] Images =
    [
        ("full 4 MB", "cv_dfx_4_pr.bit"),
        ("partial 210 KB", "cv_dfx_4_pr_composable_pr_join_subtract_partial.bit"),
    ];

    public string Name => "bitstream";

    public string Description => "Parse + CRC check + .bin conversion throughput on real bitstreams, against a bit-by-bit CRC.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var goals = new List<BenchGoal>();
        foreach (var (label, file) in Images)
        {
            var path = FixturePaths.Real(file);
            var bytes = File.ReadAllBytes(path);
            var parsed = BitstreamReader.Read(bytes);
            var bin = new byte[parsed.Payload.Length];
            console.MarkupLineInterpolated($"measuring [bold]{label}[/]...");

            var check = Measure.Median(() => BitstreamReader.Read(bytes), quick);
            var convert = Measure.Median(() => BinConverter.Swap(parsed.Payload.Span, bin), quick);
            var both = Measure.Median(
                () =>
                {
                    var bs = BitstreamReader.Read(bytes);
                    if (!bs.CrcVerified)
                    {
                        throw new InvalidOperationException($"{file}: CRC check failed");
                    }
                    BinConverter.Swap(bs.Payload.Span, bin);
                },
                quick);
            var bitwise = Measure.Median(() => BitwiseCrc(parsed), quick, minRuns: quick ? 1 : 3);

            var load = bytes.Length / PcapBytesPerSecond;
            rows.Add(Row(label, "parse + CRC check", bytes.Length, check, load, bitwise));
            rows.Add(Row(label, "convert to .bin", bytes.Length, convert, load, bitwise));
            rows.Add(Row(label, "check + convert", bytes.Length, both, load, bitwise));
            rows.Add(Row(label, "bit-by-bit CRC only (baseline)", bytes.Length, bitwise, load, bitwise));
            goals.Add(BenchGoal.AtLeast($"check + convert, {label}", GoalGBps, Math.Round(bytes.Length / both.TotalSeconds / 1e9, 3), "GB/s"));
        }
        return new BenchReport("bitstream", MachineInfo.Current(), rows, goals);
    }

    private static Dictionary<string, object?> Row(string image, string step, int bytes, TimeSpan time, double loadSeconds, TimeSpan baseline) => new()
    {
        ["image"] = image,
        ["step"] = step,
        ["bytes"] = bytes,
        ["median ms"] = Math.Round(time.TotalMilliseconds, 3),
        ["GB/s"] = Math.Round(bytes / time.TotalSeconds / 1e9, 3),
        ["% of PCAP load"] = Math.Round(100 * time.TotalSeconds / loadSeconds, 2),
        ["x bit-by-bit"] = Math.Round(baseline / time, 1),
    };

    /// <summary>The CRC alone, one bit at a time, over every word the stream feeds it (FDRI data dominates).</summary>
    private static uint BitwiseCrc(Bitstream bs)
    {
        var crc = 0u;
        foreach (var write in bs.FdriWrites)
        {
            for (var i = 0; i < write.Words; i++)
            {
                crc = ConfigCrc.FeedBitwise(crc, bs.ReadWord(write, i), (int)ConfigRegister.FDRI);
            }
        }
        return crc;
    }
}
