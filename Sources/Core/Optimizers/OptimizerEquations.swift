/// The update equations of the native optimizers, as `descent plugins show NAME` prints them:
/// what each hyperparameter does, in the notation of the source comments (g is the gradient
/// after clip_norm and coupled weight_decay, t the 1-based step).
public enum OptimizerEquations {
    static let common = """
          clip_norm > 0:     g *= clip_norm / max(global_norm(all g), clip_norm)   (TF clip_by_global_norm)
          weight_decay:      g += weight_decay * p   (L2, coupled, as PyTorch's SGD/Adam/RMSprop)
        """

    public static let sgd = """
          p -= lr * g
        """ + "\n" + common

    public static let momentum = """
          form "tf1" / "torch" (tf.train.MomentumOptimizer, torch.optim.SGD without dampening):
            a = momentum*a + g;  p -= lr*a           nesterov: p -= lr*(g + momentum*a)
          form "keras" (tf.keras SGD, what the TF2 Object Detection API builds):
            v = momentum*v - lr*g;  p += v           nesterov: p += momentum*v - lr*g
          The forms differ once lr changes between steps (tf1 rescales the whole buffer).
        """ + "\n" + common

    public static let rmsprop = """
          s = rho*s + (1-rho)*g^2      (s starts at initial_ms; rho is Optax's `decay` and PyTorch's `alpha`)
          centered: m = rho*m + (1-rho)*g and s - m^2 replaces s below
          d = sqrt(s + epsilon) if eps_inside_sqrt else sqrt(s) + epsilon
          momentum = 0:                       p -= lr_t*g/d
          momentum > 0, lr_in_momentum false: b = momentum*b + g/d;  p -= lr_t*b      (PyTorch)
          momentum > 0, lr_in_momentum true:  b = momentum*b + lr_t*g/d;  p -= b      (TF)
          lr_t = lr / (1 + decay*(t-1))  -- `decay` here is legacy Keras inverse-time lr decay,
                                             NOT Optax's `decay` (that is rho)
          form sets rho, eps_inside_sqrt, initial_ms, lr_in_momentum at once (explicit values win):
            "torch" (0.99, false, 0, false)  "keras" (0.9, true, 0, true)  "tf1" (0.9, true, 1, true)
        """ + "\n" + common

    public static let adam = """
          m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
          form "torch" (Algorithm 1 of the paper; PyTorch, Optax, Keras):
            p -= lr * (m/(1-beta1^t)) / (sqrt(v/(1-beta2^t)) + epsilon)
          form "tf" (epsilon hat, tf.compat.v1.train.AdamOptimizer):
            p -= lr*sqrt(1-beta2^t)/(1-beta1^t) * m/(sqrt(v) + epsilon)
        """ + "\n" + common

    public static let adamw = """
          p -= lr*weight_decay*p   (decoupled, before the Adam step; PyTorch AdamW, Optax adamw)
        """ + "\n" + adam.replacingOccurrences(of: "  weight_decay:      g += weight_decay * p   (L2, coupled, as PyTorch's SGD/Adam/RMSprop)\n", with: "")
}
