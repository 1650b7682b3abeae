namespace Dpr.Fabric.Convolution;

/// <summary>How the fast kernel maps a job onto vector lanes; internal so tests can force each one.</summary>
internal enum ConvLayout
{
    /// <summary>Channel lanes when the job has enough output channels to fill them, else spatial lanes.</summary>
    Auto,

    /// <summary>Lanes hold neighbouring output positions of one channel (<see cref="TiledConvolution{TVec, TElem, TLanes}"/>).</summary>
    Spatial,

    /// <summary>Lanes hold output channels of one position (<see cref="ChannelConvolution{TVec, TElem, TLanes}"/>).</summary>
    Channel,
}
