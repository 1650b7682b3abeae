using System.Security.Cryptography;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;

namespace Dpr.Fabric.Tests.Modules;

public class ModuleOnboardingTests
{
    private static readonly Board Composable = BoardCatalog.Load("pynq-z2-composable");

    public static TheoryData<string, string> RealPartials => new()
    {
        { Fixtures.Pr0DilateErode, "pr_0" },
        { Fixtures.Pr1CornerHarris, "pr_1" },
        { Fixtures.ForkDuplicate, "pr_fork" },
        { Fixtures.JoinSubtract, "pr_join" },
        { Fixtures.JoinAbsdiff, "pr_join" },
    };

    [Theory]
    [MemberData(nameof(RealPartials))]
    public void Each_real_partial_fits_exactly_its_own_partition(string file, string partition)
    {
        var fit = PartitionFit.Of(BitstreamReader.Read(Fixtures.Bytes(file)), Composable);

        Assert.Equal(partition, fit.Partition?.Name);
        Assert.Equal(VerdictOutcome.Fits, fit.Outcome);
        Assert.Single(fit.Verdicts, v => v.Verdict.Fits);
        Assert.StartsWith($"fits partition '{partition}'", fit.Reason);
    }

    [Fact]
    public void A_partial_of_another_design_is_refused_naming_the_frames_outside_each_partition()
    {
        var fit = PartitionFit.Of(BitstreamReader.Read(Fixtures.Bytes(Fixtures.PrioGpio)), Composable);

        Assert.Null(fit.Partition);
        Assert.Equal(VerdictOutcome.OutsidePartition, fit.Outcome);
        Assert.StartsWith("it fits no partition of board 'pynq-z2-composable': pr_0: ", fit.Reason);
        foreach (var p in Composable.Partitions)
        {
            Assert.Contains($"{p.Name}: ", fit.Reason);
        }
        // Its 72 frames (CLB_IO_CLK B0 26-27) are inside pr_0's Pblock but are not all of it, and outside the others.
        Assert.Contains("pr_0: the bitstream writes 72 of the 1088 frames of partition 'pr_0': it was built for a different Pblock", fit.Reason);
        Assert.Contains("pr_1: 72 frames lie outside partition 'pr_1', the first at", fit.Reason);
        Assert.Contains("pr_join: 72 frames lie outside partition 'pr_join', the first at", fit.Reason);
    }

    [Theory]
    [InlineData(Fixtures.Zybo, "xc7z010")]
    [InlineData(Fixtures.Arty, "xc7a35t")]
    public void A_wrong_device_file_is_refused_once_as_the_wrong_device(string file, string device)
    {
        var fit = PartitionFit.Of(BitstreamReader.Read(Fixtures.Bytes(file)), Composable);

        Assert.Equal(VerdictOutcome.WrongDevice, fit.Outcome);
        Assert.StartsWith($"the bitstream is for {device}", fit.Reason);
        Assert.DoesNotContain("pr_0:", fit.Reason);
    }

    [Fact]
    public void Adding_every_real_partial_serves_each_in_its_own_partition_signed()
    {
        using var dir = new TempDirectory();
        using var key = ModuleSigner.CreateKey();
        foreach (var (file, _) in Partials())
        {
            var hwh = Path.ChangeExtension(file, ".hwh");
            var result = ModuleOnboarding.Add(dir.Path, Composable, file, Fixtures.Bytes(file), File.ReadAllBytes(Fixtures.Real(hwh)), key: key,
                options: new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: [key]));
            Assert.True(result.Added, result.Reason);
        }

        var catalog = ModuleCatalog.Load(dir.Path, Composable, new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: [key]));

        Assert.Empty(catalog.Problems);
        // Named after each .hwh's system.
        Assert.Equal(
            [("composable_pr_0_dilate_erode", "pr_0"), ("composable_pr_1_cornerharris_fifo", "pr_1"), ("composable_pr_fork_duplicate", "pr_fork"),
             ("composable_pr_join_absdiff", "pr_join"), ("composable_pr_join_subtract", "pr_join")],
            catalog.Modules.Select(m => (m.Name, m.Partition.Name)).Order());
        Assert.All(catalog.Modules, m => Assert.True(m.Signed));
        Assert.All(catalog.Modules, m => Assert.Equal(ModuleKind.Opaque, m.Manifest.Kind.Type));
        // The .hwh's first register range (erode_accel at 0) is where its registers sit in pr_0's window.
        Assert.Equal(0x40080000ul, catalog.Find("composable_pr_0_dilate_erode")!.RegisterAddress);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Fixtures.Bytes(Fixtures.JoinAbsdiff))).ToLowerInvariant(), catalog.Find("composable_pr_join_absdiff")!.Manifest.Sha256);
    }

    [Fact]
    public void A_refused_partial_leaves_nothing_in_the_catalog()
    {
        using var dir = new TempDirectory();

        var gpio = ModuleOnboarding.Add(dir.Path, Composable, Fixtures.PrioGpio, Fixtures.Bytes(Fixtures.PrioGpio));
        var zybo = ModuleOnboarding.Add(dir.Path, Composable, Fixtures.Zybo, Fixtures.Bytes(Fixtures.Zybo));

        Assert.False(gpio.Added);
        Assert.Equal(VerdictOutcome.OutsidePartition, gpio.Fit.Outcome);
        Assert.False(zybo.Added);
        Assert.Equal(VerdictOutcome.WrongDevice, zybo.Fit.Outcome);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_name_already_in_the_catalog_is_refused_and_the_first_module_kept()
    {
        using var dir = new TempDirectory();
        Assert.True(ModuleOnboarding.Add(dir.Path, Composable, Fixtures.JoinSubtract, Fixtures.Bytes(Fixtures.JoinSubtract), name: "join").Added);

        var again = ModuleOnboarding.Add(dir.Path, Composable, Fixtures.JoinAbsdiff, Fixtures.Bytes(Fixtures.JoinAbsdiff), name: "join");

        Assert.False(again.Added);
        Assert.Equal("name", again.Problem?.Field);
        Assert.Contains("already exists", again.Reason);
        Assert.Equal(Fixtures.Bytes(Fixtures.JoinSubtract), File.ReadAllBytes(dir.File("join.bit")));
        Assert.Equal(["join"], ModuleCatalog.Load(dir.Path, Composable).Modules.Select(m => m.Name));
    }

    [Fact]
    public void Without_the_trusted_key_an_unsigned_partial_is_refused_and_removed_when_signatures_are_required()
    {
        using var dir = new TempDirectory();
        using var key = ModuleSigner.CreateKey();

        var result = ModuleOnboarding.Add(dir.Path, Composable, Fixtures.ForkDuplicate, Fixtures.Bytes(Fixtures.ForkDuplicate),
            options: new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: [key]));

        Assert.False(result.Added);
        Assert.Equal("pr_fork", result.Fit.Partition?.Name);
        Assert.Equal("signature: the manifest is not signed", result.Reason);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private static IEnumerable<(string File, string Partition)> Partials() =>
        RealPartials.Select(row => ((string)row[0], (string)row[1]));
}
