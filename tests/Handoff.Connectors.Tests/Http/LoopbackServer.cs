using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Handoff.Connectors.Tests.Http;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) that records requests and answers as told.</summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, string Body, IReadOnlyDictionary<string, string> Headers)
    {
        /// <summary>The decoded query string without the leading <c>?</c>.</summary>
        public string Query { get; init; } = "";

        /// <summary>When the request arrived.</summary>
        public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
    }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Answers by request: status, JSON body, extra headers.</summary>
    public Func<Received, (int Status, string? Json, IReadOnlyDictionary<string, string>? Headers)> Answer { get; set; } = _ => (200, "{\"ok\":true}", null);

    public string Url { get; }

    public LoopbackServer()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(Url);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var received = new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, body, headers)
            {
                Query = Uri.UnescapeDataString(context.Request.Url.Query.TrimStart('?')),
            };
            Requests.Enqueue(received);
            var (status, json, extra) = Answer(received);
            context.Response.StatusCode = status;
            foreach (var (name, value) in extra ?? new Dictionary<string, string>())
                context.Response.Headers[name] = value;
            if (json is not null)
            {
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(json);
                await context.Response.OutputStream.WriteAsync(bytes);
            }
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
