using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Dpr.Fabric.Tests.Bitstreams.CraftedPartial;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>
/// Stream-level mutations of a real partial — commands, registers, packet types, counts, FAR
/// values, inserted, duplicated and removed packets, a second sync session — with every CRC fixed
/// up, so only the meaning changes. Whatever the verdict accepts must be what the original does:
/// the same frame bursts, the same mask, the same commands (NULL and WCFG aside), only allow-listed
/// registers, and the simulated device writes no frame outside the partition. Zero false accepts.
/// (The SharpFuzz targets for the same oracle belong to the hostile-input work.)
/// </summary>
public class StreamMutationProperties
{
    private static readonly Board Composable = BoardCatalog.Load("pynq-z2-composable");
    private static readonly Partition Join = Composable.Partition("pr_join");

    /// <summary>pr_join (one segment per pass) and pr_0 (four: CLB and BRAM, top and bottom).</summary>
    private static readonly (string File, Partition Partition)[] Sources = [(Fixtures.JoinSubtract, Join), (Fixtures.Pr0DilateErode, Composable.Partition("pr_0"))];

    private static readonly ConfigRegister[] Registers =
    [
        ConfigRegister.CRC, ConfigRegister.FAR, ConfigRegister.CMD, ConfigRegister.CTL0, ConfigRegister.MASK, ConfigRegister.COR0,
        ConfigRegister.MFWR, ConfigRegister.IDCODE, ConfigRegister.COR1, ConfigRegister.WBSTAR, ConfigRegister.TIMER, ConfigRegister.CTL1,
    ];

    [Property(MaxTest = 300)]
    public Property Verify_accepts_nothing_the_original_does_not_do() =>
        Prop.ForAll(Gen.Elements(Sources).ToArbitrary(), ArbMap.Default.ArbFor<int>(), Gen.Choose(1, 3).ToArbitrary(), (source, seed, mutations) =>
        {
            var rng = new Random(seed);
            var p = new CraftedPartial(source.File);
            for (var i = 0; i < mutations; i++)
            {
                Mutate(p, rng);
            }
            return NoFalseAccept(p.Build(), BitstreamReader.Read(Fixtures.Bytes(source.File)), source.Partition);
        });

    [Fact]
    public void Harmless_mutations_are_still_accepted()
    {
        // The property is not vacuous: NOPs and CMD NULL change nothing the device does.
        var p = new CraftedPartial(Fixtures.JoinSubtract);
        var grestore = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE);
        p.Insert(grestore, Nop, Type1Write(ConfigRegister.CMD, 1), (uint)ConfigCommand.NULL, Nop);

        var bytes = p.Build();
        Assert.True(LoadVerdict.Check(BitstreamReader.Read(bytes), Composable, Join).Fits);
        Assert.True(NoFalseAccept(bytes, BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)), Join));
    }

    [Fact]
    public void Mutator_reaches_every_outcome()
    {
        // Over fixed seeds the mutants are malformed, refused by each stage, and sometimes accepted.
        var outcomes = new Dictionary<string, int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var p = new CraftedPartial(Fixtures.JoinSubtract);
            Mutate(p, new Random(seed));
            string outcome;
            try
            {
                outcome = LoadVerdict.Check(BitstreamReader.Read(p.Build()), Composable, Join).Outcome.ToString();
            }
            catch (BitstreamFormatException)
            {
                outcome = "Malformed";
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        var summary = string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"));
        Assert.True(new[] { "Malformed", "Fits", "WrongDevice", "OutsidePartition" }.All(outcomes.ContainsKey), summary);
    }

    private static bool NoFalseAccept(byte[] bytes, Bitstream original, Partition partition)
    {
        Bitstream bs;
        try
        {
            bs = BitstreamReader.Read(bytes);
        }
        catch (BitstreamFormatException)
        {
            return true;
        }
        if (!LoadVerdict.Check(bs, Composable, partition).Fits)
        {
            return true;
        }
        var device = new SimulatedDevice(Composable);
        var written = device.FramesWrittenBy(bs);
        var allowed = new[] { ConfigRegister.CRC, ConfigRegister.FAR, ConfigRegister.CMD, ConfigRegister.MASK, ConfigRegister.CTL0, ConfigRegister.IDCODE };
        return written.All(partition.Contains)
            && written.Distinct().Count() == Composable.FrameCount(partition)
            && bs.FdriWrites.Select(w => (w.Far, w.Words)).SequenceEqual(original.FdriWrites.Select(w => (w.Far, w.Words)))
            && Enumerable.Range(0, original.FdriWrites[0].Words).All(i => bs.ReadWord(bs.FdriWrites[0], i) == original.ReadWord(original.FdriWrites[0], i))
            && Effective(bs.Commands).SequenceEqual(Effective(original.Commands))
            && bs.RegisterWrites.All(w => allowed.Contains((ConfigRegister)w.Register) && w.HeaderType == 1)
            && bs.IdCodes.All(Composable.Device.Matches)
            && bs.MultiFrameWrites.Count == 0
            && bs.Sessions == 1;
    }

    /// <summary>The commands that change the device: NULL does nothing, and WCFG only enables the bursts compared separately.</summary>
    private static IEnumerable<uint> Effective(IEnumerable<uint> commands) =>
        commands.Where(c => c is not ((uint)ConfigCommand.NULL or (uint)ConfigCommand.WCFG));

    private static void Mutate(CraftedPartial p, Random rng)
    {
        // Earlier mutations may have broken the packet structure; pick from what is still there.
        var packets = p.Packets().Where(x => x.Type == 1).ToList();
        var singles = packets.Where(x => x.Count == 1).ToList();
        var bursts = p.Packets().Where(x => x.Type == 2 && x.Register == (int)ConfigRegister.FDRI).Select(x => x.Index).ToList();
        var commands = singles.Where(x => x.Register == (int)ConfigRegister.CMD).Select(x => x.Index).ToList();
        var fars = singles.Where(x => x.Register == (int)ConfigRegister.FAR).Select(x => x.Index).ToList();
        if (packets.Count == 0 || singles.Count == 0 || bursts.Count == 0 || commands.Count == 0 || fars.Count == 0)
        {
            return;
        }
        var at = packets[rng.Next(packets.Count)].Index;
        var one = singles[rng.Next(singles.Count)].Index;
        var burst = bursts[rng.Next(bursts.Count)];
        switch (rng.Next(10))
        {
            case 0: // another command value
                p.Words[commands[rng.Next(commands.Count)] + 1] = (uint)rng.Next(0x14);
                break;
            case 1: // another register for a one-word write
                p.Words[one] = Type1Write(Registers[rng.Next(Registers.Length)], 1);
                break;
            case 2: // the same write carried by a type 2 packet
                p.Replace(one, 1, p.Words[one] & ~0x7FFu, Type2Write(1));
                break;
            case 3: // a NOP or a read header at a packet boundary, or between FDRI and its type 2 packet
                p.Insert(rng.Next(2) == 0 ? at : burst, rng.Next(4) == 0 ? 0x2800E001u : Nop);
                break;
            case 4: // a new one-word write
                var register = Registers[rng.Next(Registers.Length)];
                p.Insert(at, Type1Write(register, 1), Value(register, rng));
                break;
            case 5: // another FAR value
                p.Words[fars[rng.Next(fars.Count)] + 1] = Value(ConfigRegister.FAR, rng);
                break;
            case 6: // a packet repeated elsewhere (a frame burst with its FDRI header, or a one-word write)
                var (start, length) = rng.Next(2) == 0 ? (burst - 1, 2 + (int)(p.Words[burst] & 0x07FFFFFF)) : (one, 2);
                var copy = p.Words.GetRange(start, Math.Min(length, p.Words.Count - start));
                p.Insert(packets[rng.Next(packets.Count)].Index, [.. copy]);
                break;
            case 7: // a packet removed
                p.Replace(one, 2);
                break;
            case 8: // a burst one frame longer or shorter
                var words = (int)(p.Words[burst] & 0x07FFFFFF);
                if (rng.Next(2) == 0)
                {
                    p.Words[burst] = Type2Write(words + FdriWrite.FrameWords);
                    p.Insert(Math.Min(burst + 1 + words, p.Words.Count), new uint[FdriWrite.FrameWords]);
                }
                else if (words >= FdriWrite.FrameWords)
                {
                    p.Words[burst] = Type2Write(words - FdriWrite.FrameWords);
                    p.Replace(burst + 1 + words - FdriWrite.FrameWords, FdriWrite.FrameWords);
                }
                break;
            default: // a second sync session after DESYNC
                p.Insert(p.Words.Count, Sync, Type1Write(ConfigRegister.CMD, 1), (uint)rng.Next(0x14), Type1Write(ConfigRegister.CMD, 1), (uint)ConfigCommand.DESYNC, Nop);
                break;
        }
    }

    /// <summary>Values that mean something: frame addresses of the device, its IDCODE or another's, small commands.</summary>
    private static uint Value(ConfigRegister register, Random rng) => register switch
    {
        ConfigRegister.FAR => rng.Next(3) switch
        {
            0 => 0x00001E00u + (uint)(rng.Next(8) << 7),
            1 => Composable.Device.Rows[rng.Next(Composable.Device.Rows.Count)].Address(rng.Next(4), 0).Value,
            _ => (uint)rng.Next(),
        },
        ConfigRegister.IDCODE => rng.Next(2) == 0 ? 0x03727093u : 0x03722093u,
        ConfigRegister.CMD => (uint)rng.Next(0x14),
        ConfigRegister.CTL0 or ConfigRegister.MASK => (uint)(1 << rng.Next(32)),
        _ => (uint)rng.Next(),
    };
}
