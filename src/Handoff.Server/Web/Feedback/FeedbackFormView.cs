using Handoff.Core.Workspace;

namespace Handoff.Server.Web.Feedback;

/// <summary>What the "report a problem" form needs: the subject and the charter's categories.</summary>
public sealed record FeedbackFormView(Guid? PersonId, Guid? RunId, string ReturnTo, IReadOnlyList<FeedbackCategory> Categories, string Selected);
