using System.Security.Cryptography;
using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Fabric.Modules;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Regions;

/// <summary>Every swap checks the module's files again: what changed since the catalog loaded is refused and nothing is written.</summary>
public sealed class RegionRecheckTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"dpr-recheck-{Guid.NewGuid():N}");
    private readonly ECDsa _key = ModuleSigner.CreateKey();

    public RegionRecheckTests()
        : base(TestNode.Config)
    {
        ModuleCatalog.WriteSynthetic(SimulatedRegion.PynqZ2, _dir, _key);
    }

    private ModuleCatalog Catalog() => ModuleCatalog.Load(_dir, SimulatedRegion.PynqZ2, new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: [_key]));

    [Fact]
    public void An_image_changed_after_the_catalog_loaded_is_refused_at_the_swap_and_nothing_is_written()
    {
        var catalog = Catalog();
        Assert.Equal(6, catalog.Modules.Count);
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props(catalog: catalog));
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.False(l.Hit));

        var image = Path.Combine(_dir, "conv5x5_int8.bit");
        var bytes = File.ReadAllBytes(image);
        bytes[^100] ^= 1;
        File.WriteAllBytes(image, bytes);
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));

        var failed = ExpectMsg<RegionReplies.LoadFailed>();
        Assert.StartsWith("refused: sha256: the image's SHA-256 is ", failed.Reason);
        Assert.Equal("conv3x3_int8", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, "conv3x3_int8", 1L), (s.Status, s.Module, s.Swaps)));
        // The others still load.
        manager.Tell(new RegionCommands.Load("conv5x5_int16"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.Equal("conv5x5_int16", l.Module));
    }

    [Fact]
    public void An_image_changed_after_it_passed_a_recheck_is_refused_at_its_next_swap()
    {
        var catalog = Catalog();
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props(catalog: catalog));
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.False(l.Hit));
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.False(l.Hit));

        // The same size, another byte and a later write time: checked again in full, and refused.
        var image = Path.Combine(_dir, "conv5x5_int8.bit");
        var bytes = File.ReadAllBytes(image);
        bytes[^100] ^= 1;
        File.WriteAllBytes(image, bytes);
        File.SetLastWriteTimeUtc(image, DateTime.UtcNow.AddSeconds(2));
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));

        Assert.StartsWith("refused: sha256: ", ExpectMsg<RegionReplies.LoadFailed>().Reason);
        Assert.Equal("conv3x3_int8", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
    }

    [Fact]
    public void A_manifest_edited_after_the_catalog_loaded_is_refused_for_its_signature()
    {
        var catalog = Catalog();
        var manager = Sys.ActorOf(new SimulatedRegion().Props(catalog: catalog));
        var path = Path.Combine(_dir, "conv3x3_int16.module.json");
        ModuleCatalog.Save(ModuleCatalog.Read(path) with { Aliases = ["conv3x3_16bit", "fast"] }, path);

        manager.Tell(new RegionCommands.Load("conv3x3_int16"));

        var failed = ExpectMsg<RegionReplies.LoadFailed>();
        Assert.Equal("refused: signature: the signature does not match the manifest and image (altered after signing, or a wrong signature)", failed.Reason);
    }

    [Fact]
    public void A_manifest_replaced_by_another_good_one_is_refused_until_the_catalog_loads_again()
    {
        var catalog = Catalog();
        var manager = Sys.ActorOf(new SimulatedRegion().Props(catalog: catalog));
        var path = Path.Combine(_dir, "conv3x3_int32.module.json");
        ModuleCatalog.Save(ModuleSigner.Sign(ModuleCatalog.Read(path) with { Aliases = ["other"] }, _key), path);

        manager.Tell(new RegionCommands.Load("conv3x3_int32"));

        var failed = ExpectMsg<RegionReplies.LoadFailed>();
        Assert.Equal("refused: manifest: the manifest or its image changed since the catalog was loaded; restart the service to serve the new one", failed.Reason);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _key.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
