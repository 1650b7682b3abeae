using Akka.Actor;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;

namespace Dpr.Actors.Regions;

/// <summary>
/// The board's partitions seen as one: <see cref="Acquire"/> places a module in the partition the
/// replacement policy picks among those that have an image of it, and forwards the load there;
/// <see cref="InvalidateAll"/> records a full reload of the static design in every partition.
/// </summary>
public sealed class RegionDirectoryActor : ReceiveActor
{
    public RegionDirectoryActor(IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, ReplacementPolicy policy, TimeSpan askTimeout, IConfigurationPort? port = null)
    {
        ReceiveAsync<Acquire>(async acquire =>
        {
            var sender = Sender;
            var candidates = catalog.FindAll(acquire.Module).Select(m => m.Partition.Name).Where(regions.ContainsKey).Distinct().ToList();
            if (candidates.Count == 0)
            {
                sender.Tell(new RegionReplies.LoadFailed("", acquire.Module, $"no partition of this board has an image of '{acquire.Module}'"));
                return;
            }
            var states = await Task.WhenAll(candidates.Select(p => regions[p].Ask<RegionReplies.State>(new RegionCommands.GetState(), askTimeout)));
            var chosen = policy.Choose(acquire.Module, states);
            if (chosen is null)
            {
                sender.Tell(new RegionReplies.LoadFailed("", acquire.Module, $"every partition that can host '{acquire.Module}' is faulted or busy"));
                return;
            }
            regions[chosen].Tell(new RegionCommands.Load(acquire.Module), sender);
        });
        ReceiveAsync<InvalidateAll>(async invalidate =>
        {
            var sender = Sender;
            var states = await Task.WhenAll(regions.Values.Select(r => r.Ask<RegionReplies.State>(new RegionCommands.Invalidate(invalidate.Reason), askTimeout)));
            sender.Tell(states);
        });
        ReceiveAsync<ReloadStatic>(async reload =>
        {
            var sender = Sender;
            if (port is null)
            {
                sender.Tell(new Status.Failure(new InvalidOperationException("this directory has no configuration port for full loads")));
                return;
            }
            // Every partition first records that it is about to be emptied (and stops its module), then the device is rewritten.
            await Task.WhenAll(regions.Values.Select(r => r.Ask<RegionReplies.State>(new RegionCommands.Invalidate($"full load of {reload.Image.Name}"), askTimeout)));
            try
            {
                sender.Tell(await port.WriteAsync(reload.Image, null, CancellationToken.None));
            }
            catch (ConfigurationPortException e)
            {
                sender.Tell(new Status.Failure(e));
            }
        });
    }

    public static Props Props(IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, ReplacementPolicy policy, TimeSpan askTimeout, IConfigurationPort? port = null) =>
        Akka.Actor.Props.Create(() => new RegionDirectoryActor(regions, catalog, policy, askTimeout, port));

    /// <summary>Load <see cref="Module"/> somewhere; answered by the chosen region manager.</summary>
    public sealed record Acquire(string Module);

    /// <summary>The static design is being (or was) reloaded: every partition becomes empty, on record. Answered with their states.</summary>
    public sealed record InvalidateAll(string Reason);

    /// <summary>A full load of the static design: every partition is invalidated on record, then the image is written. Answered with the port's result.</summary>
    public sealed record ReloadStatic(ConfigurationImage Image);
}
